module github.com/eshop-go/eshop-go/services/payment

go 1.26
