-- A basket per buyer, its lines, and the latest catalog price of each
-- product the basket has heard of.

CREATE TABLE baskets (
    buyer_id   text PRIMARY KEY,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE basket_lines (
    id              uuid PRIMARY KEY,
    buyer_id        text NOT NULL REFERENCES baskets (buyer_id) ON DELETE CASCADE,
    position        int NOT NULL,
    product_id      bigint NOT NULL,
    product_name    text NOT NULL,
    unit_price      numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    old_unit_price  numeric(12, 2) NULL,
    quantity        int NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    picture_url     text NOT NULL DEFAULT '',
    -- The catalog price version the line's unit_price is known to be; NULL
    -- when the buyer's price was never matched to a catalog version.
    catalog_version bigint NULL,
    UNIQUE (buyer_id, position)
) WITH (fillfactor = 70);
-- The free space fillfactor leaves in each page lets a price change update a
-- line in place (a HOT update: no indexed column changes), without a new
-- entry in every index for each of the many lines it touches.

-- A price change touches the lines of one product across all baskets: one
-- set-based UPDATE through this index, however many baskets there are.
CREATE INDEX basket_lines_product_id ON basket_lines (product_id);

CREATE TABLE product_prices (
    product_id bigint PRIMARY KEY,
    version    bigint NOT NULL,
    price      numeric(12, 2) NOT NULL
);

-- Checkout request ids already accepted, so that a retried checkout does
-- not enqueue a second UserCheckoutAccepted event.
CREATE TABLE checkout_requests (
    request_id  uuid PRIMARY KEY,
    buyer_id    text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);
