// Command etcd is the etcd server built from go.etcd.io/etcd/server/v3, for kfed's local
// test clusters only (Debian's etcd 3.4 is older than Kubernetes supports).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
