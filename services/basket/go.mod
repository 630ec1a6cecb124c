module github.com/eshop-go/eshop-go/services/basket

go 1.26
