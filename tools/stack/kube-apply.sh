#!/usr/bin/env bash
# The Kubernetes side of the local stack, by server-side apply (idempotent: a second run changes
# nothing): the CRD, the operator's RBAC, the matcher (SA, Role, Deployment, Service, ConfigMap
# for the local providers), the Secrets with the local services' URLs, and the example policy.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apply() { kubectl apply --server-side --field-manager=plimsoll-stack "$@" | sed 's/^/        /'; }

# The CRD of this tree wins over one a test run applied from another (the test tiers share the
# cluster and apply their own copy under the field manager plimsoll-tests).
apply --force-conflicts -k "$ROOT/crds"
kubectl wait --for condition=established --timeout=60s crd/scalingpolicies.plimsoll.dev > /dev/null
apply -k "$ROOT/manifests/rbac"
apply -k "$ROOT/tools/stack/kustomize/matcher"

# What a platform team would put in a secret store: the application's URL through PgBouncer,
# the direct one for migrations, Redis, PgBouncer's admin console (for /health/details).
admin_url="postgres://$ADMIN_USER:$ADMIN_PASSWORD@127.0.0.1:$PGB_PORT/pgbouncer"
kubectl create secret generic matcher-connections -n default --dry-run=client -o yaml \
  --from-literal=MATCHER_DATABASE_URL="postgres://$APP_USER:$APP_PASSWORD@127.0.0.1:$PGB_PORT/plimsoll" \
  --from-literal=MATCHER_MIGRATION_DATABASE_URL="postgres://$APP_USER:$APP_PASSWORD@127.0.0.1:$PG_PORT/plimsoll" \
  --from-literal=MATCHER_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" \
  --from-literal=MATCHER_PGBOUNCER_ADMIN_URL="$admin_url" | apply -f -
# The console URI for policies that still name it with the deprecated secretRef (key `uri`):
# the operator reads it only because the label names the example policy, matcher, as its
# consumer. The stack's operator has the console registered anyway (tools/stack/operator.sh).
kubectl create secret generic pgbouncer-admin -n default --dry-run=client -o yaml \
  --from-literal=uri="$admin_url" | kubectl label --local -f - -o yaml plimsoll.dev/consumer=matcher | apply -f -

# The example policy, with its two load objectives sized for this stack's pods. The example is
# written for replicas that may burst to a core (the shipped Deployment sets no CPU limit); here
# each replica is held to 100m by its cgroup (kustomize/matcher/matcher-resources-local.yaml),
# and `make bench-capacity` measured one such replica saturating at about 27 req/s of the load
# tests' mix. So the CPU objective is 70 % of the limit (0.07 cores) and the request-rate
# objective 16 req/s per replica (about 60 % of saturation), as a team sizing its own
# objectives from a capacity test would set them. Everything else is the example as shipped.
# The load runner gives the simulator this same file (mk/load.mk).
kubectl patch --local -f "$ROOT/examples/matcher.yaml" --type=json --patch-file "$ROOT/tools/stack/policy-local.json" -o yaml \
  > "$STACK/policy.yaml.tmp" && mv "$STACK/policy.yaml.tmp" "$STACK/policy.yaml"
apply -n default -f "$STACK/policy.yaml"
