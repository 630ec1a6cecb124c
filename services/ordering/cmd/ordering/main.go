// Command ordering runs the ordering service: orders made from basket
// checkouts, moved through their statuses by catalog's and payment's
// answers (the order saga). `ordering healthcheck` asks a running instance
// whether it is ready (for container health checks); `ordering settings`
// prints the environment variables it reads.
package main

import (
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/ordering/internal/service"
)

func main() { host.Main("ordering", ":8083", service.New) }
