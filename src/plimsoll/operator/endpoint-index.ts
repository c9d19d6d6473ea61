/**
 * The ready endpoints of each Deployment, kept from an EndpointSlice informer instead of a LIST
 * per reconcile (issue 17: at 500 policies that was a LIST of every slice of the namespace 33
 * times a second). Pure: the controller feeds it the watch events.
 *
 * EndpointSlices name their pods in targetRef, and a Deployment's pods are named
 * <deployment>-<template hash>-<suffix>, so a pod's Deployment is its name less the last two
 * segments (the two segments have no dash, so exactly one Deployment name fits). A pod behind
 * several Services appears in several slices: one endpoint per address.
 */
import type * as k8s from '@kubernetes/client-node';
import { objectKey } from './watcher.js';

export interface ReadyEndpoint {
  address: string;
  pod: string;
}

const POD_OF_DEPLOYMENT = /^(.+)-[a-z0-9]+-[a-z0-9]+$/;

/** What the informer's cache keeps of a slice: its ready pod endpoints, nothing else. */
export function projectEndpointSlice(slice: k8s.V1EndpointSlice): k8s.V1EndpointSlice {
  const { name, namespace, resourceVersion } = slice.metadata ?? {};
  // A slice of a Service with no pods has no endpoints field at all, whatever the types say.
  const endpoints = (slice.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false && e.targetRef?.kind === 'Pod' && e.targetRef.name && e.addresses[0])
    .map((e) => ({ addresses: [e.addresses[0]!], targetRef: { kind: 'Pod', name: e.targetRef!.name! } }));
  return { addressType: slice.addressType, metadata: { name, namespace, resourceVersion }, endpoints };
}

/** namespace/deployment → its ready endpoints in one slice. */
function byDeployment(slice: k8s.V1EndpointSlice): Map<string, ReadyEndpoint[]> {
  const found = new Map<string, ReadyEndpoint[]>();
  for (const e of slice.endpoints ?? []) {
    const pod = e.targetRef?.name ?? '';
    const deployment = POD_OF_DEPLOYMENT.exec(pod)?.[1];
    const address = e.addresses[0];
    if (!deployment || !address || e.conditions?.ready === false) continue;
    const key = `${slice.metadata?.namespace ?? ''}/${deployment}`;
    found.set(key, [...(found.get(key) ?? []), { address, pod }]);
  }
  return found;
}

const same = (a: ReadyEndpoint[] | undefined, b: ReadyEndpoint[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

export class EndpointIndex {
  /** slice key → its endpoints by Deployment. */
  private readonly slices = new Map<string, Map<string, ReadyEndpoint[]>>();
  /** namespace/deployment → the slices that have endpoints of it. */
  private readonly deployments = new Map<string, Set<string>>();

  /** Apply a watch event; returns the Deployments (namespace/name) whose ready endpoints changed. */
  update(type: 'ADDED' | 'MODIFIED' | 'DELETED', slice: k8s.V1EndpointSlice): string[] {
    const key = objectKey(slice);
    const before = this.slices.get(key) ?? new Map<string, ReadyEndpoint[]>();
    const after = type === 'DELETED' ? new Map<string, ReadyEndpoint[]>() : byDeployment(slice);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((d) => !same(before.get(d), after.get(d)));
    for (const d of before.keys()) {
      if (after.has(d)) continue;
      const slices = this.deployments.get(d);
      slices?.delete(key);
      if (slices?.size === 0) this.deployments.delete(d);
    }
    for (const d of after.keys()) this.deployments.set(d, (this.deployments.get(d) ?? new Set()).add(key));
    if (after.size > 0) this.slices.set(key, after);
    else this.slices.delete(key);
    return changed;
  }

  /** The Deployment's ready endpoints, one per address. */
  readyEndpointPods(namespace: string, deployment: string): ReadyEndpoint[] {
    const key = `${namespace}/${deployment}`;
    const found = new Map<string, string>();
    for (const slice of this.deployments.get(key) ?? []) {
      for (const e of this.slices.get(slice)?.get(key) ?? []) found.set(e.address, e.pod);
    }
    return [...found].map(([address, pod]) => ({ address, pod }));
  }
}
