// Runs inside the network namespace local/private-network.ts makes: brings its loopback up, starts the server it is
// given and relays every connection of the listening socket handed over by the parent (127.0.0.1 on the machine's
// network) to that server on the namespace's own loopback. Plain CommonJS: started with no TypeScript loader, so as
// not to delay the server's start.
// Usage (set up by private-network.ts): unshare --net node private-network-relay.cjs <port> <command> [args...]
//                                    or: unshare --net node private-network-relay.cjs --check
'use strict';
const { execFileSync, spawn } = require('node:child_process');
const net = require('node:net');

const [portArgument, command, ...args] = process.argv.slice(2);
const port = Number(portArgument);

let server;
function fail(message) {
  process.stderr.write(`${message}\n`);
  server?.kill('SIGKILL');
  process.exit(1);
}

// A new network namespace has nothing but `lo`, and it is down: not even this relay could reach the server.
// Node cannot set an interface's flags; python3 (which moto runs on, so it is always here) can with one ioctl,
// so the stack needs no iproute2.
const LOOPBACK_UP = [
  'import fcntl, socket, struct',
  'SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40',
  "fcntl.ioctl(socket.socket(), SIOCSIFFLAGS, struct.pack('16sh22x', b'lo', IFF_UP | IFF_LOOPBACK | IFF_RUNNING))",
].join('\n');
try {
  execFileSync('python3', ['-c', LOOPBACK_UP], { stdio: ['ignore', 'ignore', 'pipe'] });
} catch (error) {
  fail(`could not bring up lo in the network namespace: ${String(error.stderr || error.message).trim()}`);
}
// private-network.ts asks once whether this machine allows all of that, before it starts anything.
if (portArgument === '--check') process.exit(0);

// Started before the listening socket arrives: the server's start-up is what takes time.
const env = { ...process.env };
delete env.NODE_CHANNEL_FD;
delete env.NODE_CHANNEL_SERIALIZATION_MODE;
server = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
server.once('error', (error) => fail(`${command}: ${error.message}`));
// The relay and the server end together: a server that ends by itself ends this process, which the parent notices.
server.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

let handedOver = false;
process.once('message', (message, listener) => {
  if (message !== 'listener' || !(listener instanceof net.Server)) fail('the parent handed over no listening socket');
  handedOver = true;
  listener.on('connection', (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    // Requests and answers are small and interactive: Nagle's delay would only add latency.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    // A refused upstream (the server is still starting) closes the client's connection: it retries.
    client.once('error', close).once('close', close);
    upstream.once('error', close).once('close', close);
    client.pipe(upstream).pipe(client);
  });
  process.disconnect();
});
process.once('disconnect', () => {
  if (!handedOver) fail('the parent went away before it handed over the listening socket');
});
