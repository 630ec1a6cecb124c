package outbox

// AddMessages stores already encoded messages, for the test that checks
// that the relay publishes every field of a message as it was stored.
var AddMessages = addMessages
