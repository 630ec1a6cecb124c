module github.com/eshop-go/eshop-go/services/catalog

go 1.26
