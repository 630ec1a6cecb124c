-- The ordering schema. One order per checkout: request_id is UNIQUE, and it
-- is the record of the checkout requests already handled (a repeated
-- checkout, even under a new event id, finds it and makes no second order).

CREATE TABLE card_types (
    id   integer PRIMARY KEY,
    name text    NOT NULL UNIQUE
);

INSERT INTO card_types (id, name) VALUES (1, 'Amex'), (2, 'Visa'), (3, 'MasterCard');

-- A buyer is the basket's buyer id (BuyerIdentityGuid on the events) and the
-- name the status events carry.
CREATE TABLE buyers (
    id         text        PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    order_number       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id         uuid        NOT NULL UNIQUE,
    buyer_id           text        NOT NULL REFERENCES buyers (id),
    status             text        NOT NULL CHECK (status IN
                           ('Submitted', 'AwaitingValidation', 'StockConfirmed', 'Paid', 'Shipped', 'Cancelled')),
    description        text        NOT NULL DEFAULT '',
    street             text        NOT NULL,
    city               text        NOT NULL,
    state              text        NOT NULL,
    country            text        NOT NULL,
    zip_code           text        NOT NULL,
    card_type_id       integer     NOT NULL REFERENCES card_types (id),
    -- Only the last four digits; the security code is never stored.
    card_number_masked text        NOT NULL CHECK (card_number_masked ~ '^X{12}[0-9]{0,4}$'),
    card_holder_name   text        NOT NULL,
    card_expiration    timestamptz NOT NULL,
    total              numeric(18, 2) NOT NULL CHECK (total >= 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- A buyer's orders, newest first.
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at DESC, order_number DESC);
-- What the grace-period worker scans: the orders still Submitted, oldest first.
CREATE INDEX orders_submitted ON orders (created_at) WHERE status = 'Submitted';

CREATE TABLE order_items (
    order_number bigint         NOT NULL REFERENCES orders (order_number) ON DELETE CASCADE,
    line         integer        NOT NULL,
    product_id   integer        NOT NULL,
    product_name text           NOT NULL,
    unit_price   numeric(18, 2) NOT NULL CHECK (unit_price >= 0),
    units        integer        NOT NULL CHECK (units > 0),
    picture_url  text           NOT NULL DEFAULT '',
    PRIMARY KEY (order_number, line)
);
