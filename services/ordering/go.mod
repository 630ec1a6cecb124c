module github.com/eshop-go/eshop-go/services/ordering

go 1.26
