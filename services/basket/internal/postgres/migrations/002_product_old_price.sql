-- The catalog price just before each product's latest one: the OldPrice of
-- the change that made it the latest. A line that follows a change takes it
-- as its old unit price, so that it shows the same "was" whatever the order
-- the changes arrived in. NULL for a price kept before this column was: a
-- line then keeps the price it had as its old one, as before.
ALTER TABLE product_prices ADD COLUMN old_price numeric(12, 2) NULL;
