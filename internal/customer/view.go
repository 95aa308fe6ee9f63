package customer

import (
	"time"

	"github.com/bazaar/bazaar/ent/tenant"
	"github.com/bazaar/bazaar/ent/tenant/schema"
)

// Profile is a customer's account as they see it themselves.
type Profile struct {
	ID        int       `json:"id"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Phone     string    `json:"phone"`
	Language  string    `json:"language"`
	Addresses []Address `json:"addresses"`
	CreatedAt time.Time `json:"created_at"`
}

// Summary is a customer in the team's list.
type Summary struct {
	ID         int       `json:"id"`
	Email      string    `json:"email"`
	HasAccount bool      `json:"has_account"` // false: a guest who has only checked out
	FirstName  string    `json:"first_name"`
	LastName   string    `json:"last_name"`
	CreatedAt  time.Time `json:"created_at"`
}

// Customer is one customer as the team sees it: the profile, whether it is
// an account or a guest, and its sign-in state.
type Customer struct {
	Profile
	HasAccount  bool       `json:"has_account"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
	LockedUntil *time.Time `json:"locked_until,omitempty"` // set while too many wrong passwords lock it
	UpdatedAt   time.Time  `json:"updated_at"`
}

// SignedIn is a new session: the token for the shopper's cookie (shown
// once, stored only as its hash), when it ends, and who signed in.
type SignedIn struct {
	Token     string
	ExpiresAt time.Time
	Profile   Profile
}

func profileOf(cu *tenant.Customer) Profile {
	return Profile{
		ID: cu.ID, Email: cu.Email, FirstName: cu.FirstName, LastName: cu.LastName, Phone: cu.Phone,
		Language: cu.Language, Addresses: addressesOf(cu.Addresses), CreatedAt: cu.CreatedAt,
	}
}

func summaryOf(cu *tenant.Customer) Summary {
	return Summary{ID: cu.ID, Email: cu.Email, HasAccount: cu.HasAccount, FirstName: cu.FirstName, LastName: cu.LastName, CreatedAt: cu.CreatedAt}
}

func (s *Service) customerOf(cu *tenant.Customer) Customer {
	out := Customer{Profile: profileOf(cu), HasAccount: cu.HasAccount, LastLoginAt: cu.LastLoginAt, UpdatedAt: cu.UpdatedAt}
	if s.locked(cu) > 0 {
		out.LockedUntil = cu.LockedUntil
	}
	return out
}

func addressesOf(in []schema.Address) []Address {
	out := make([]Address, len(in))
	for i, a := range in {
		out[i] = Address(a)
	}
	return out
}

func storedAddresses(in []Address) []schema.Address {
	out := make([]schema.Address, len(in))
	for i, a := range in {
		out[i] = schema.Address(a)
	}
	return out
}
