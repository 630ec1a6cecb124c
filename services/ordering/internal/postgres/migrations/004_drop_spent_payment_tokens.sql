-- An order forgets its payment token once Paid or Cancelled (the domain
-- clears it on the move, ordering.Order.move): this forgets the tokens of
-- the orders that got there before the rule. Shipped orders were Paid.
UPDATE orders SET payment_token = '' WHERE status IN ('Paid', 'Shipped', 'Cancelled');

