// Command catalog runs the catalog service: the product catalog, its prices
// and its stock. `catalog healthcheck` asks a running instance whether it is
// ready (for container health checks); `catalog settings` prints the
// environment variables it reads.
package main

import (
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
)

func main() { host.Main("catalog", ":8081", service.New) }
