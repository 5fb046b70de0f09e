// The tenant's applications, newest first, a page at a time, and the form that registers a new one.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, SessionExpiredError, type FieldViolation } from './api';
import { ErrorText, messageOf } from './controls';
import { formatTime } from './format';
import { parseLabels } from './labels';
import { LIST_APPLICATIONS, REGISTER_APPLICATION, type ApplicationPage, type RegisterInput } from './queries';
import { useDirector, useDirectorQuery } from './session';

export const PAGE_SIZE = 10;

export function Applications({ notice }: { notice: string | null }) {
  // Cursors of the pages up to the one asked for; the first page has none.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const list = useDirectorQuery<ApplicationPage>(LIST_APPLICATIONS, { first: PAGE_SIZE, after: cursors[cursors.length - 1] });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = 'Applications · Cockpit';
    heading.current?.focus();
  }, []);

  // Everything shown, the range and the pager included, is of the page that was loaded, not the one asked for;
  // a loaded page no longer on the way back (after going back to the first page) is not shown at all.
  const pageIndex = list.loaded ? cursors.indexOf(list.loaded.variables.after as string | null) : -1;
  const page = pageIndex >= 0 ? list.loaded?.data.applications : undefined;
  const firstShown = pageIndex * PAGE_SIZE + 1;
  const turnTo = (index: number, endCursor: string | null) => () =>
    setCursors(index > pageIndex ? [...cursors.slice(0, pageIndex + 1), endCursor] : cursors.slice(0, index + 1));
  return (
    <main>
      {notice && (
        <p class="notice" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      <div class="columns">
        <section aria-labelledby="applications-title">
          <h2 id="applications-title" ref={heading} tabIndex={-1}>
            Applications
          </h2>
          <ErrorText message={list.error} testId="list-error" />
          {!page && !list.error && <p role="status">Loading…</p>}
          {page && page.data.length === 0 && <p>No applications yet: register the first one with the form.</p>}
          {page && page.data.length > 0 && (
            <div class="table-scroll">
              <table class="applications">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Credentials</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((app) => (
                    <tr
                      key={app.id}
                      data-testid="app-row"
                      data-app-id={app.id}
                      class="clickable"
                      // The name is the keyboard's way in; a plain click anywhere else on the row opens it too
                      // (not a click on the link itself, a modified click, or the end of selecting text).
                      onClick={(event) => {
                        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
                        if ((event.target as Element).closest('a') || getSelection()?.toString()) return;
                        location.hash = `#/applications/${encodeURIComponent(app.id)}`;
                      }}
                    >
                      <td>
                        <a href={`#/applications/${encodeURIComponent(app.id)}`}>{app.name}</a>
                      </td>
                      <td>
                        <span class={`badge ${app.status.condition.toLowerCase()}`}>{app.status.condition}</span>
                      </td>
                      <td>{app.auths.length}</td>
                      <td>{formatTime(app.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {page && (
            <nav class="pager" aria-label="Pages of applications">
              <span data-testid="page-range">
                {page.data.length === 0 ? `0 of ${page.totalCount}` : `${firstShown}–${firstShown + page.data.length - 1} of ${page.totalCount}`}
              </span>
              <button type="button" data-testid="previous-page" disabled={list.loading || pageIndex === 0} onClick={turnTo(pageIndex - 1, null)}>
                Previous
              </button>
              <button
                type="button"
                data-testid="next-page"
                disabled={list.loading || !page.pageInfo.hasNextPage}
                onClick={turnTo(pageIndex + 1, page.pageInfo.endCursor)}
              >
                Next
              </button>
            </nav>
          )}
        </section>
        {/* The next step after registering is pairing: the new application's page. */}
        <RegisterForm onRegistered={(id) => (location.hash = `#/applications/${encodeURIComponent(id)}`)} />
      </div>
    </main>
  );
}

const FIELDS = ['name', 'description', 'baseUrl', 'labels'] as const;
type Field = (typeof FIELDS)[number];
const fieldId = (name: Field) => `register-${name === 'baseUrl' ? 'base-url' : name}`;

function RegisterForm({ onRegistered }: { onRegistered: (id: string) => void }) {
  const call = useDirector();
  const [values, setValues] = useState<Record<Field, string>>({ name: '', description: '', baseUrl: '', labels: '' });
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [registered, setRegistered] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** Each message next to its field; those about fields this form does not have above the button. */
  const showViolations = (violations: readonly FieldViolation[]) => {
    const byField: Partial<Record<Field, string>> = {};
    const elsewhere: string[] = [];
    for (const { field, message } of violations) {
      const known = FIELDS.find((name) => name === field);
      if (known) byField[known] = byField[known] ? `${byField[known]}; ${message}` : message;
      else elsewhere.push(`${field}: ${message}`);
    }
    setFieldErrors(byField);
    if (elsewhere.length > 0) setFormError(elsewhere.join('; '));
    return violations.length > 0;
  };

  // The first field at fault gets the focus, so that its message is read out next to it.
  useEffect(() => {
    const first = FIELDS.find((name) => fieldErrors[name]);
    if (first) document.getElementById(fieldId(first))?.focus();
  }, [fieldErrors]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setFieldErrors({});
    setFormError(null);
    setRegistered(null);
    const labels = parseLabels(values.labels);
    if (labels.error) {
      setFieldErrors({ labels: labels.error });
      return;
    }
    // Empty optional fields are left out rather than sent as "" (which the API would judge).
    const input: RegisterInput = { name: values.name.trim() };
    if (values.description.trim()) input.description = values.description.trim();
    if (values.baseUrl.trim()) input.baseUrl = values.baseUrl.trim();
    if (labels.labels) input.labels = labels.labels;
    setBusy(true);
    try {
      const answer = await call<{ registerApplication: { id: string; name: string } }>(REGISTER_APPLICATION, { in: input });
      setValues({ name: '', description: '', baseUrl: '', labels: '' });
      setRegistered(answer.registerApplication.name);
      onRegistered(answer.registerApplication.id);
    } catch (failure) {
      if (failure instanceof SessionExpiredError) return;
      if (!(failure instanceof ApiError && showViolations(failure.violations))) setFormError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const field = (name: Field, label: string, options: { hint?: string; multiline?: boolean; required?: boolean } = {}) => {
    const id = fieldId(name);
    const error = fieldErrors[name];
    const describedBy = [options.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
    const common = {
      id,
      'data-testid': id,
      value: values[name],
      required: options.required,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy,
      onInput: (event: { currentTarget: HTMLInputElement | HTMLTextAreaElement }) => {
        const { value } = event.currentTarget;
        // From the latest values: several input events in one task (autofill) must not undo each other.
        setValues((latest) => ({ ...latest, [name]: value }));
      },
    };
    return (
      <div class="field">
        <label for={id}>{label}</label>
        {options.multiline ? <textarea rows={2} {...common} /> : <input {...common} />}
        {options.hint && (
          <small id={`${id}-hint`} class="hint">
            {options.hint}
          </small>
        )}
        <ErrorText id={`${id}-error`} testId={`${id}-error`} message={error ?? null} />
      </div>
    );
  };

  return (
    <section aria-labelledby="register-title" class="card">
      <h2 id="register-title">Register an application</h2>
      <form onSubmit={submit} noValidate>
        {field('name', 'Name', { required: true, hint: 'Lowercase letters, digits, "-" and "."; unique in your tenant.' })}
        {field('description', 'Description', { multiline: true })}
        {field('baseUrl', 'Base URL', { hint: 'e.g. https://orders.example.com' })}
        {field('labels', 'Labels', { multiline: true, hint: 'One key=value per line.' })}
        <ErrorText testId="register-error" message={formError} />
        {registered && (
          <p class="success" role="status" data-testid="register-success">
            Registered {registered}.
          </p>
        )}
        <button type="submit" class="primary" data-testid="register-submit" aria-disabled={busy}>
          {busy ? 'Registering…' : 'Register'}
        </button>
      </form>
    </section>
  );
}
