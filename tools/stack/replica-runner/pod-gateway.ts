/**
 * DEVELOPMENT HARNESS — not part of the product. The pods' way back to the machine's loopback
 * services (PostgreSQL, PgBouncer, Redis, the API server, the fake providers).
 *
 * The replicas run in the pod network namespace, where 127.0.0.1 is the namespace's own
 * loopback. Rather than giving the root namespace an address the pods could dial (a private
 * range there is forbidden on these machines), two processes relay over filesystem Unix sockets,
 * which no network namespace scopes:
 *
 *   pod ──▶ 127.0.0.1:<port> (pod namespace)   "pods" side: listens on TCP, dials <dir>/<port>.sock
 *        ──▶ <dir>/<port>.sock                 "host" side: listens on the socket, dials 127.0.0.1:<port>
 *        ──▶ 127.0.0.1:<port> (root namespace)
 *
 * So a replica uses the same URLs as every other process of the stack, and every packet stays on
 * a loopback. `pod-network-cli.ts up` starts both sides (pod-network.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export type GatewaySide = 'host' | 'pods';

export const gatewaySocket = (socketDir: string, port: number) => join(socketDir, `${port}.sock`);

/** Pipes two sockets both ways; an error or close on either end closes the other. */
function relay(a: net.Socket, b: net.Socket): void {
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
  a.pipe(b);
  b.pipe(a);
}

/** Starts one listener per port; resolves once all listen. */
export async function startGateway(side: GatewaySide, socketDir: string, ports: number[], log: (line: string) => void): Promise<net.Server[]> {
  mkdirSync(socketDir, { recursive: true });
  return Promise.all(ports.map((port) => new Promise<net.Server>((resolve, reject) => {
    const socket = gatewaySocket(socketDir, port);
    const dial = side === 'host' ? () => net.connect({ host: '127.0.0.1', port }) : () => net.connect({ path: socket });
    const server = net.createServer({ noDelay: true }, (client) => {
      const upstream = dial();
      upstream.setNoDelay(true);
      upstream.once('error', (err) => log(`${side} :${port}: cannot reach ${side === 'host' ? `127.0.0.1:${port}` : socket}: ${err.message}`));
      relay(client, upstream);
    });
    server.once('error', (err) => reject(new Error(`${side} side cannot listen for port ${port}: ${err.message}`)));
    if (side === 'host') {
      // A socket file left by a killed gateway would make listen fail with EADDRINUSE.
      rmSync(socket, { force: true });
      server.listen(socket, () => resolve(server));
    } else {
      server.listen(port, '127.0.0.1', () => resolve(server));
    }
  })));
}
