-- Every order has a uuid of its own (ordering.Order.GUID), unique across
-- ordering's databases where the order number is not: the events carry it
-- (OrderGuid), and catalog keeps the order's reservation under it. The
-- domain gives a new order its uuid; the orders made before get one here.
ALTER TABLE orders ADD COLUMN order_guid uuid NOT NULL UNIQUE DEFAULT gen_random_uuid();
ALTER TABLE orders ALTER COLUMN order_guid DROP DEFAULT;
