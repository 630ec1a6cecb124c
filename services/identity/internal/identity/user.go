package identity

import (
	"errors"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
)

// RoleAdmin is the role of the administrators: they edit the catalog, ship
// orders and read any order.
const RoleAdmin = "admin"

// ErrUnknownUser is returned for a user that does not exist.
var ErrUnknownUser = errors.New("identity: unknown user")

// User is a person who signs in: a buyer, or an administrator.
type User struct {
	ID           uuid.UUID
	Email        string
	Name         string
	Roles        []string
	PasswordHash []byte
}

// HashPassword hashes a password with bcrypt at cost (log2 of the
// rounds; see PasswordCost): slow on purpose, salted.
func HashPassword(password string, cost int) ([]byte, error) {
	return bcrypt.GenerateFromPassword([]byte(password), cost)
}

// PasswordCostMin and PasswordCostMax bound the bcrypt cost a setting may
// choose; each step doubles the time a hash (and a guess) takes.
const (
	PasswordCostMin = bcrypt.MinCost
	PasswordCostMax = bcrypt.MaxCost
)

// PasswordMatches reports whether password is the user's.
func (u User) PasswordMatches(password string) bool {
	return bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) == nil
}

// DemoUsers are the users an empty database gets, all with the demo
// password: two buyers and an administrator.
func DemoUsers() []User {
	return []User{
		{Email: "alice@example.com", Name: "Alice Smith", Roles: []string{}},
		{Email: "bob@example.com", Name: "Bob Jones", Roles: []string{}},
		{Email: "admin@example.com", Name: "Administrator", Roles: []string{RoleAdmin}},
	}
}

// MaxEmailLength is the longest email address (RFC 5321's path limit): a
// sign-in with a longer one is refused before anything is counted.
const MaxEmailLength = 254
