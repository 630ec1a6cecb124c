// Command payment runs the payment service: it tokenizes cards (POST
// /api/payment/cards) and charges the token of an order when ordering asks
// (PAYMENT_SUCCEEDED=false fails every payment). `payment
// healthcheck` asks a running instance whether it is ready (for container
// health checks); `payment settings` prints the environment variables it
// reads.
package main

import (
	"github.com/eshop-go/eshop-go/buildingblocks/host"
	"github.com/eshop-go/eshop-go/services/payment/internal/service"
)

func main() { host.Main("payment", ":8084", service.New) }
