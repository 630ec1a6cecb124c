// Command basket runs the basket service: buyers' baskets that follow
// catalog prices, and checkout. `basket healthcheck` asks a running
// instance whether it is ready (for container health checks); `basket
// settings` prints the environment variables it reads.
package main

import (
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/basket/internal/service"
)

func main() { host.Main("basket", ":8082", service.New) }
