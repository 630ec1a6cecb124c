-- A reservation is kept under the order's uuid (OrderGuid), unique across
-- ordering's databases, and no longer under ordering's order number alone,
-- which a recreated or restored ordering database hands out again. The
-- reservations made before are kept under a key made of their number
-- (catalog.NumberKey), as are the events of an ordering that sends no uuid.
-- order_id stays, for the operator: which order number it was.
ALTER TABLE order_reservation_lines DROP CONSTRAINT order_reservation_lines_order_id_fkey;
ALTER TABLE order_reservation_lines DROP CONSTRAINT order_reservation_lines_pkey;
ALTER TABLE order_reservations DROP CONSTRAINT order_reservations_pkey;

ALTER TABLE order_reservations ADD COLUMN order_guid uuid;
UPDATE order_reservations SET order_guid = md5('eshop-go order ' || order_id)::uuid;
ALTER TABLE order_reservations ALTER COLUMN order_guid SET NOT NULL;
ALTER TABLE order_reservations ADD PRIMARY KEY (order_guid);
CREATE INDEX order_reservations_by_number ON order_reservations (order_id);

ALTER TABLE order_reservation_lines ADD COLUMN order_guid uuid;
UPDATE order_reservation_lines SET order_guid = md5('eshop-go order ' || order_id)::uuid;
ALTER TABLE order_reservation_lines ALTER COLUMN order_guid SET NOT NULL;
ALTER TABLE order_reservation_lines DROP COLUMN order_id;
ALTER TABLE order_reservation_lines ADD PRIMARY KEY (order_guid, product_id);
ALTER TABLE order_reservation_lines ADD FOREIGN KEY (order_guid) REFERENCES order_reservations (order_guid) ON DELETE CASCADE;
