// The test run's own DynamoDB Local and moto (test/support/global-setup.ts) are reachable from this machine only,
// and no web page of another origin may call them.
import { corsPreflight } from '../../support/cors-preflight';
import { describeSockets, listenersOfPort, listeningSockets, processTree, reachableBeyondLoopback } from '../../support/listening-sockets';
import { localAwsEndpoints } from '../../support/local-aws';

const services = Object.entries(localAwsEndpoints()).map(([name, endpoint]) => ({ name, endpoint, port: Number(new URL(endpoint).port) }));

describe.each(services)('the test run\'s $name ($endpoint)', ({ endpoint, port }) => {
  test('every socket of the processes behind it is bound to loopback, or lies in a network namespace with nothing but lo', () => {
    const holders = listenersOfPort(port);
    expect(holders.length).toBeGreaterThan(0);
    const sockets = listeningSockets([...new Set(holders.flatMap(processTree))]);
    expect(describeSockets(sockets.filter(reachableBeyondLoopback))).toEqual([]);
  });

  test.each(['http://attacker.example', 'null'])('a preflight from origin %s is allowed no origin', async (origin) => {
    const answer = await corsPreflight(`${endpoint}/`, origin);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});
