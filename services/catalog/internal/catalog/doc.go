// Package catalog is the catalog's domain: items with their price and stock,
// the brands and types that classify them, the rules an item must follow, and
// the reservation of stock for an order. It does no I/O; the postgres, httpapi
// and events packages store, serve and carry what it defines.
package catalog
