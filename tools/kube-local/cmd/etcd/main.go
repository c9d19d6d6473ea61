// Command etcd is the upstream etcd server, from the go.etcd.io/etcd/server/v3 module at the
// version the chosen Kubernetes release itself requires (so the apiserver talks to the etcd it
// was tested with). etcdmain is the server's own entry point as a library: same flags as etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
