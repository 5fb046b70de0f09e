// The scopes granted to an application's OAuth client: always application:read, only known scopes, no duplicates.
import fc from 'fast-check';
import { APPLICATION_SCOPES, applicationScopesFor } from '../../shared/scopes';

describe('applicationScopesFor', () => {
  it('grants application:read when nothing is requested', () => {
    expect(applicationScopesFor()).toEqual(['application:read']);
    expect(applicationScopesFor([])).toEqual(['application:read']);
  });

  it('adds application:read to the requested scopes, in the canonical order', () => {
    expect(applicationScopesFor(['application.auths:read'])).toEqual(['application:read', 'application.auths:read']);
  });

  it('never grants application:write', () => {
    expect(APPLICATION_SCOPES).not.toContain('application:write');
  });

  it('for any selection of application scopes grants exactly that selection plus application:read, each once', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...APPLICATION_SCOPES)), (requested) => {
        const granted = applicationScopesFor(requested);
        expect(granted[0]).toBe('application:read');
        expect(new Set(granted).size).toBe(granted.length);
        expect(new Set(granted)).toEqual(new Set(['application:read', ...requested]));
      }),
    );
  });
});
