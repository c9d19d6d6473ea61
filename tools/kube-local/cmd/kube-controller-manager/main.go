// Command kube-controller-manager is the upstream kube-controller-manager, built from the k8s.io/kubernetes module: a thin main
// around k8s.io/kubernetes/cmd/kube-controller-manager/app, identical to the release's own cmd/kube-controller-manager.
package main

import (
	"os"
	_ "time/tzdata" // time zones for CronJob, as upstream

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
