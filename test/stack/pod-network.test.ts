// The pod network namespace for real (ip netns, veth, routes, the pod gateway), on a namespace,
// veth and CIDR of its own so that the local stack's `plimsoll-pods` is left alone: a pod IP
// inside answers through the veth, a process inside reaches the machine's loopback through the
// gateway, a crashed run's leftovers are repaired, and nothing private lands in the root namespace.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, waitFor } from '../support/cluster.js';
import {
  addPodAddress, ensurePodNetwork, insidePodNetwork, isPrivateAddress, namespaceExists, podAddresses, podNetworkOptions,
  processInPodNetwork, removePodAddress, removePodNetwork, rootNamespaceViolations, type PodNetworkOptions,
} from '../../tools/stack/replica-runner/pod-network.js';

const POD_IP = '10.254.7.9';
let options: PodNetworkOptions;
const scratch = mkdtempSync(join(tmpdir(), 'plimsoll-pod-network-test-'));
let hostServer: http.Server;
let podServer: ChildProcess | undefined;

const routeTo = (cidr: string) => execFileSync('ip', ['-4', 'route', 'show', cidr], { encoding: 'utf8' }).trim();

before(async () => {
  // A loopback service of the root namespace, as PgBouncer or the API server are to the pods.
  hostServer = http.createServer((req, res) => res.end(`host loopback answered ${req.url}`));
  await new Promise<void>((r) => hostServer.listen(0, '127.0.0.1', r));
  const port = (hostServer.address() as AddressInfo).port;
  options = podNetworkOptions(REPO_ROOT, {
    name: 'plimsoll-pods-test', podCidr: '10.254.0.0/16', hostDevice: 'plim-test0', hostAddress: '169.254.245.1', podGatewayAddress: '169.254.245.2',
    // Its own sockets, pid files and logs: the stack's gateway keeps its own in .local/run, and
    // sharing the pid files would make this test stop the stack's gateway.
    gatewayPorts: [port], socketDir: join(scratch, 'sockets'), runDir: join(scratch, 'run'), logDir: join(scratch, 'logs'),
  });
  removePodNetwork(options);
});

after(() => {
  podServer?.kill('SIGKILL');
  hostServer?.close();
  if (options) removePodNetwork(options);
  rmSync(scratch, { recursive: true, force: true });
});

describe('pod network namespace', () => {
  it('private ranges are told apart from loopback, link-local and documentation addresses', () => {
    for (const a of ['10.0.0.1', '10.244.3.7', '172.16.0.1', '172.31.255.255', '192.168.1.1']) assert.ok(isPrivateAddress(a), a);
    for (const a of ['127.0.0.1', '169.254.244.1', '172.32.0.1', '172.15.0.1', '192.0.2.2', '11.0.0.1', 'not-an-ip']) assert.ok(!isPrivateAddress(a), a);
  });

  it('a pod IP inside the namespace answers from the root namespace through the veth', async () => {
    assert.equal(await ensurePodNetwork(options), true, 'created by this call');
    assert.ok(namespaceExists(options.name));
    assert.match(routeTo(options.podCidr), /via 169\.254\.245\.2 dev plim-test0/);
    addPodAddress(options, POD_IP);
    addPodAddress(options, POD_IP); // idempotent
    assert.deepEqual(podAddresses(options), [POD_IP]);
    // The pod answers 502 while the gateway is down (the repair test below), and never dies of it.
    const script = `require('http').createServer(async (q, s) => { try { const r = await fetch('http://127.0.0.1:${options.gatewayPorts[0]}/via-gateway'); s.end('pod ' + q.socket.localAddress + ' saw: ' + await r.text()); } catch (e) { s.statusCode = 502; s.end(String(e)); } }).listen(8080, '${POD_IP}', () => console.log('listening'))`;
    const argv = insidePodNetwork(options, [process.execPath, '-e', script]);
    podServer = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => podServer!.stdout!.once('data', r));
    assert.ok(processInPodNetwork(options, podServer.pid!), 'the process runs in the namespace');
    // Generous: on a busy machine the first relay through the gateway's two fresh processes is slow.
    const body = await (await fetch(`http://${POD_IP}:8080/`, { signal: AbortSignal.timeout(30_000) })).text();
    assert.equal(body, `pod ${POD_IP} saw: host loopback answered /via-gateway`, 'root → pod through the veth, pod → root loopback through the gateway');
    assert.deepEqual(rootNamespaceViolations(), [], 'nothing private in the root namespace');
  });

  // Usually "no route to host" at once; the kernel rate-limits the ICMP errors that say so, so a
  // burst of tries may wait for the timeout instead. Either way nothing answers.
  it('an IP that no pod holds does not answer', async () => {
    await assert.rejects(fetch('http://10.254.7.10:8080/', { signal: AbortSignal.timeout(5000) }));
  });

  it('repairs what a crashed run left: a killed gateway and a missing veth', async () => {
    for (const side of ['host', 'pods']) {
      const pid = Number(readFileSync(`${options.runDir}/pod-gateway-${side}.pid`, 'utf8').split(' ')[0]);
      process.kill(pid, 'SIGKILL');
    }
    execFileSync('ip', ['link', 'del', options.hostDevice]);
    assert.equal(routeTo(options.podCidr), '', 'the route went with the veth');
    assert.equal(await ensurePodNetwork(options), false, 'the namespace was still there');
    addPodAddress(options, POD_IP);
    const body = await waitFor('the pod answers again', async () => {
      const res = await fetch(`http://${POD_IP}:8080/`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      return res?.ok && res.text();
    }, { timeoutMs: 30_000 });
    assert.match(body, /host loopback answered/);
  });

  it('removal takes the address, the veth, the route and the namespace; twice is harmless', () => {
    podServer?.kill('SIGKILL');
    removePodAddress(options, POD_IP);
    assert.deepEqual(podAddresses(options), []);
    removePodNetwork(options);
    removePodNetwork(options);
    assert.ok(!namespaceExists(options.name));
    assert.equal(routeTo(options.podCidr), '');
  });
});
