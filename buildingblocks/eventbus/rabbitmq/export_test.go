package rabbitmq

// CrashLoopDeliveries is crashLoopDeliveries, for the tests.
const CrashLoopDeliveries = crashLoopDeliveries
