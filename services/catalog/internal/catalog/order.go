package catalog

import (
	"crypto/md5"
	"strconv"

	"github.com/google/uuid"
)

// OrderRef names the order a reservation is for: ordering's order number,
// and the order's uuid (its OrderGuid), which is unique across ordering's
// databases where the number is not (a recreated or restored database
// numbers its orders from 1 again).
type OrderRef struct {
	Number int64
	GUID   uuid.UUID
}

// Key is what the order's reservation is kept under: its uuid. An event
// of an ordering that does not send one (events.md: a consumer keeps
// working without a field it does not get) is kept under a key made of the
// number alone, as every reservation was before the uuid; such an order
// still meets an older reservation of the same number.
func (o OrderRef) Key() uuid.UUID {
	if o.GUID != uuid.Nil {
		return o.GUID
	}
	return NumberKey(o.Number)
}

// NumberKey is the key of an order known by its number alone: the MD5 of
// "eshop-go order <number>" read as a uuid, which is what the migration
// that introduced the keys wrote for the reservations made before
// (md5('eshop-go order ' || order_id)::uuid).
func NumberKey(number int64) uuid.UUID {
	return uuid.UUID(md5.Sum([]byte("eshop-go order " + strconv.FormatInt(number, 10))))
}
