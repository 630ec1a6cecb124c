// Package identity is the identity service's domain: users and their
// password hashes, the throttle of failed sign-ins, and the clients that may
// ask for tokens. It knows nothing of SQL, HTTP or the OpenID Connect
// library.
package identity
