// serverless plugin: API Gateway throttling of the REST API's stage (rate and burst), with lower limits on POST /oauth2/token
// (and POST /oauth2/introspect, with the same limits) and POST /connector/graphql, from serverless.yml `custom.throttling` (params with defaults; README "Throttling").
'use strict';

// Why a plugin: serverless (osls 4) creates the stage itself, through the `AWS::ApiGateway::Deployment` it names
// `ApiGatewayDeployment<instanceId>` (a new logical id on every packaging), and has no setting for stage throttling
// (`provider.apiGateway.usagePlan.throttle` throttles API keys only, and this API has none). A `resources.extensions`
// entry cannot name a logical id that changes, and a separate `AWS::ApiGateway::Stage` of the same name would collide
// with the stage the deployment creates on every existing stack. So this sets the deployment's `StageDescription`,
// which CloudFormation applies to the stage when it creates the deployment, i.e. on every deploy.

/** The two methods with limits of their own, as CloudFormation names a method setting's path ("/" is "~1"). */
const METHODS = {
  token: { ResourcePath: '/~1oauth2~1token', HttpMethod: 'POST' },
  connector: { ResourcePath: '/~1connector~1graphql', HttpMethod: 'POST' },
  // Introspection authenticates a client secret like the token endpoint: the same limits.
  introspect: { ResourcePath: '/~1oauth2~1introspect', HttpMethod: 'POST' },
};

function limit(settings, name, kind, ServerlessError) {
  const raw = settings[name];
  const value = Number(raw);
  // Requests per second may be fractional; a burst is a whole number of requests.
  const valid = kind === 'rate' ? Number.isFinite(value) && value > 0 : Number.isSafeInteger(value) && value > 0;
  if (!valid) {
    throw new ServerlessError(`custom.throttling.${name} must be a positive ${kind === 'rate' ? 'number' : 'whole number'} (a --param of serverless.yml), got "${raw}"`);
  }
  return value;
}

class StageThrottling {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileEvents': () => this.throttleStage() };
  }

  throttleStage() {
    const settings = this.serverless.service.custom && this.serverless.service.custom.throttling;
    if (!settings) throw new this.serverless.classes.Error('stage-throttling: serverless.yml has no custom.throttling');
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const deployments = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::ApiGateway::Deployment');
    if (deployments.length !== 1) throw new this.serverless.classes.Error(`stage-throttling: expected one AWS::ApiGateway::Deployment, found ${deployments.length}`);
    const tracing = this.serverless.service.provider.tracing;
    // serverless's own error class: the deployer sees the message, not a stack trace.
    const ServerlessError = this.serverless.classes.Error;
    const rateOf = (name) => limit(settings, name, 'rate', ServerlessError);
    const burstOf = (name) => limit(settings, name, 'burst', ServerlessError);
    resources[deployments[0]].Properties.StageDescription = {
      // The stage's own tracing setting as serverless.yml says it (provider.tracing.apiGateway), so that the stage
      // description never turns off what serverless turns on after the deployment.
      TracingEnabled: Boolean(tracing && tracing.apiGateway),
      // Every method of the stage: requests per second (token bucket refill) and bucket size.
      ThrottlingRateLimit: rateOf('rateLimit'),
      ThrottlingBurstLimit: burstOf('burstLimit'),
      MethodSettings: [
        { ...METHODS.token, ThrottlingRateLimit: rateOf('tokenRateLimit'), ThrottlingBurstLimit: burstOf('tokenBurstLimit') },
        { ...METHODS.connector, ThrottlingRateLimit: rateOf('connectorRateLimit'), ThrottlingBurstLimit: burstOf('connectorBurstLimit') },
        { ...METHODS.introspect, ThrottlingRateLimit: rateOf('tokenRateLimit'), ThrottlingBurstLimit: burstOf('tokenBurstLimit') },
      ],
    };
  }
}

module.exports = StageThrottling;
