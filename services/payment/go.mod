module github.com/eshop-go/eshop-go/services/payment

go 1.26

require (
	github.com/eshop-go/eshop-go/buildingblocks v0.0.0
	github.com/google/uuid v1.6.0
)

require (
	github.com/go-chi/chi/v5 v5.5.0 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/rabbitmq/amqp091-go v1.16.0 // indirect
)

replace github.com/eshop-go/eshop-go/buildingblocks => ../../buildingblocks
