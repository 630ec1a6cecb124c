-- Card data never reaches ordering (events.md, "Card data"): an order keeps
-- the payment token payment sealed the card into, which only payment can
-- open, and the card's last four digits. The masked number goes; orders
-- taken before keep their last four digits and have no token.

ALTER TABLE orders
    ADD COLUMN payment_token text NOT NULL DEFAULT '',
    ADD COLUMN card_last4    text NOT NULL DEFAULT '' CHECK (card_last4 ~ '^([0-9]{4})?$');

UPDATE orders SET card_last4 = COALESCE(substring(card_number_masked FROM '[0-9]{4}$'), '');

ALTER TABLE orders
    DROP COLUMN card_number_masked,
    ALTER COLUMN payment_token DROP DEFAULT,
    ALTER COLUMN card_last4 DROP DEFAULT;
