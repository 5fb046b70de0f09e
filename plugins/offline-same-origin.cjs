// serverless plugin, local stack only: serverless-offline answers cross-origin requests like the deployed API, with no Access-Control-* header.
'use strict';

// Why: serverless-offline 14 (src/events/http/HttpServer.js, the onPreResponse extension it adds to its hapi
// server) answers every request that carries an Origin header with `Access-Control-Allow-Origin: <that origin>`
// and `Access-Control-Allow-Credentials: true`, preflights included (200 with the requested method and headers
// allowed). No option turns that off: corsAllowOrigin, corsDisallowCredentials and friends apply only to http
// events with `cors: true`, which this service has none of. The deployed REST API has no CORS at all (no OPTIONS
// methods, no CORS headers; test/deployment/template.test.ts), and Cockpit is served from the API's own origin,
// so the API needs none. This adds one more onPreResponse extension, after serverless-offline's, that takes
// every Access-Control-* header off the answer again.
//
// serverless-offline exposes no handle on its hapi server, so the extension is added when a hapi server of the
// copy serverless-offline uses starts. test/e2e/director-http.test.ts fails if an upgrade makes this stop working.
const path = require('node:path');

const PATCHED = Symbol.for('pairing-service.offline-same-origin');

function withoutCorsHeaders(request, h) {
  const response = request.response;
  const headers = response && (response.isBoom ? response.output.headers : response.headers);
  if (headers) {
    for (const name of Object.keys(headers)) if (name.toLowerCase().startsWith('access-control-')) delete headers[name];
  }
  return h.continue;
}

/** The hapi module serverless-offline imports (resolved from its own folder, in case it has a copy of its own). */
function hapiOfServerlessOffline() {
  const offlineEntry = require.resolve('serverless-offline');
  return require(require.resolve('@hapi/hapi', { paths: [path.dirname(offlineEntry)] }));
}

function removeCorsHeadersFromOfflineServers() {
  const hapi = hapiOfServerlessOffline();
  // hapi exports a factory; its servers share one prototype.
  const prototype = Object.getPrototypeOf(hapi.server({ autoListen: false }));
  if (prototype[PATCHED]) return;
  const start = prototype.start;
  prototype.start = function startWithoutCorsHeaders() {
    // Added at start, so after the extensions serverless-offline added while building its routes: it runs last.
    this.ext('onPreResponse', withoutCorsHeaders);
    return start.call(this);
  };
  prototype[PATCHED] = true;
}

class OfflineSameOrigin {
  constructor() {
    // Only `serverless offline`: packaging and deploying never load hapi.
    this.hooks = {
      'before:offline:start': removeCorsHeadersFromOfflineServers,
      'before:offline:start:init': removeCorsHeadersFromOfflineServers,
    };
  }
}

module.exports = OfflineSameOrigin;
