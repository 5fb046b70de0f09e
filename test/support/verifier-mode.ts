// The `verifier` jest project: every module of the test file reads CLIENT_SECRET_STORE=verifier (and an `npm start` it runs inherits it).
process.env.CLIENT_SECRET_STORE = 'verifier';
