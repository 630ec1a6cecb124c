// Package provider is the identity service's OpenID Connect provider: the
// zitadel/oidc op package speaks the protocol (discovery, JWKS, authorize,
// token, userinfo, introspection, revocation, end session) and asks
// [Storage] for everything it keeps: clients from the settings, users,
// sign-ins, refresh tokens and signing keys from the database.
package provider

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eshop-go/eshop-go/services/identity/internal/identity"
	"github.com/eshop-go/eshop-go/services/identity/internal/postgres"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// AccessTokenLifetime is the access tokens' lifetime. (The refresh tokens
// end identity.RefreshTokenLifetime after their sign-in.)
const AccessTokenLifetime = 15 * time.Minute

// Storage is what the OpenID Connect library asks about clients, users,
// sign-ins, tokens and keys.
type Storage struct {
	store    *postgres.Store
	clients  identity.Clients
	loginURL string
}

var (
	_ op.Storage                        = (*Storage)(nil)
	_ op.ClientCredentialsStorage       = (*Storage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*Storage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*Storage)(nil)
)

// NewStorage returns the storage of the clients, with the rest in store;
// loginURL is the login page, to which the auth request id is appended.
func NewStorage(store *postgres.Store, clients identity.Clients, loginURL string) *Storage {
	return &Storage{store: store, clients: clients, loginURL: loginURL}
}

func (s *Storage) client(id string) (client, error) {
	c, ok := s.clients.ByID(id)
	if !ok {
		return client{}, fmt.Errorf("unknown client %q", id)
	}
	return client{Client: c, loginURL: s.loginURL}, nil
}

// CreateAuthRequest saves a sign-in that has begun. A public client must
// send a PKCE challenge with S256: it has no secret to prove who it is.
func (s *Storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	c, err := s.client(req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	if c.Public() && (req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256) {
		return nil, oidc.ErrInvalidRequest().WithDescription("a public client must use PKCE with S256")
	}
	r := identity.AuthRequest{
		ID: uuid.New(), ClientID: req.ClientID, RedirectURI: req.RedirectURI, Scopes: req.Scopes,
		State: req.State, Nonce: req.Nonce, ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode),
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
	}
	if r.CodeChallenge != "" && r.CodeChallengeMethod == "" {
		r.CodeChallengeMethod = string(oidc.CodeChallengeMethodPlain)
	}
	if err := r.Validate(); err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("%s", err)
	}
	if err := s.store.CreateAuthRequest(ctx, r); err != nil {
		return nil, err
	}
	return authRequest{r}, nil
}

func (s *Storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, identity.ErrNotFound
	}
	r, err := s.store.AuthRequestByID(ctx, uid)
	return authRequest{r}, err
}

// AuthRequestByCode is the redemption of a code: it works once, within a
// minute of the code's issue.
func (s *Storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := s.store.RedeemCode(ctx, code)
	return authRequest{r}, err
}

func (s *Storage) SaveAuthCode(ctx context.Context, id, code string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return identity.ErrNotFound
	}
	return s.store.SaveAuthCode(ctx, uid, code)
}

func (s *Storage) DeleteAuthRequest(ctx context.Context, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return identity.ErrNotFound
	}
	return s.store.DeleteAuthRequest(ctx, uid)
}

// CreateAccessToken names an access token: a JWT the library signs, not
// stored (it is valid until it expires).
func (s *Storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return uuid.NewString(), time.Now().Add(AccessTokenLifetime), nil
}

// CreateAccessAndRefreshTokens names an access token and issues a refresh
// token, replacing current (which then no longer works).
func (s *Storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	t := identity.RefreshToken{Audience: req.GetAudience(), Scopes: req.GetScopes()}
	switch r := req.(type) {
	case authRequest:
		t.UserID, t.ClientID, t.AuthTime = r.UserID, r.ClientID, r.AuthTime
	case *refreshRequest:
		t.UserID, t.ClientID, t.AuthTime, t.Family = r.UserID, r.ClientID, r.AuthTime, r.Family
	default:
		return "", "", time.Time{}, fmt.Errorf("no refresh token for a %T", req)
	}
	t.ExpiresAt = t.AuthTime.Add(identity.RefreshTokenLifetime)
	token, err := randomToken()
	if err != nil {
		return "", "", time.Time{}, err
	}
	t.Token = token
	if err := s.store.ReplaceRefreshToken(ctx, current, t); err != nil {
		return "", "", time.Time{}, err
	}
	id, exp, err := s.CreateAccessToken(ctx, req)
	return id, token, exp, err
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	t, err := s.store.RefreshToken(ctx, token)
	if err != nil {
		return nil, err
	}
	return &refreshRequest{t}, nil
}

// TerminateSession ends the user's grant to the client: its refresh tokens
// stop working. (The provider keeps no session of its own: every sign-in
// asks for the password.)
func (s *Storage) TerminateSession(ctx context.Context, userID, clientID string) error {
	uid, err := uuid.Parse(userID)
	if err != nil {
		return nil // no id_token_hint: nobody to sign out
	}
	return s.store.DeleteRefreshTokens(ctx, uid, clientID)
}

// RevokeToken revokes a refresh token, and with it every token of its
// sign-in. The library passes a refresh token with its user (found by
// GetRefreshTokenInfo), and an access token with its user too: the token
// tells them apart. Access tokens are JWTs nobody keeps a list of: they
// cannot be revoked and expire soon.
func (s *Storage) RevokeToken(ctx context.Context, token, _, clientID string) *oidc.Error {
	t, err := s.store.RefreshToken(ctx, token)
	if errors.Is(err, identity.ErrNotFound) {
		if strings.Count(token, ".") == 2 {
			return oidc.ErrInvalidRequest().WithDescription("access tokens expire; they cannot be revoked")
		}
		return nil // RFC 7009: an unknown token is not an error
	}
	if err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was issued to another client")
	}
	if err := s.store.DeleteRefreshToken(ctx, token); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	return nil
}

func (s *Storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	t, err := s.store.RefreshToken(ctx, token)
	if err != nil || t.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.UserID.String(), token, nil
}

func (s *Storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	return s.client(id)
}

// AuthorizeClientIDSecret checks a confidential client's secret, in
// constant time.
func (s *Storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, err := s.client(id)
	if err != nil {
		return err
	}
	if c.Public() || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return fmt.Errorf("wrong secret for client %q", id)
	}
	return nil
}

// ClientCredentials returns the machine client whose secret this is. Its
// errors are the token endpoint's answers: the server passes them on.
func (s *Storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	if err := s.AuthorizeClientIDSecret(ctx, id, secret); err != nil {
		return nil, oidc.ErrInvalidClient().WithParent(err)
	}
	c, _ := s.client(id)
	if !c.hasGrant(oidc.GrantTypeClientCredentials) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("client %q may not use client credentials", id)
	}
	return c, nil
}

func (s *Storage) ClientCredentialsTokenRequest(_ context.Context, id string, scopes []string) (op.TokenRequest, error) {
	return machineRequest{clientID: id, scopes: scopes}, nil
}

// SetUserinfoFromScopes is deprecated in the library; SetUserinfoFromRequest
// does its work.
func (s *Storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest puts the claims the scopes ask for into an ID
// token: name and roles (profile), email (email). The roles let the
// storefront show an administrator the catalog editor without reading the
// access token, which is not the client's to read.
func (s *Storage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, err := s.user(ctx, req.GetSubject())
	if err != nil {
		return err
	}
	setUserinfo(info, u, scopes)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint: every claim.
func (s *Storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	u, err := s.user(ctx, subject)
	if err != nil {
		return err
	}
	setUserinfo(info, u, []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail})
	return nil
}

// SetIntrospectionFromToken answers introspection of a token the library
// verified: active, with the user's claims.
func (s *Storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, _, subject, clientID string) error {
	resp.Active = true
	resp.ClientID = clientID
	resp.Subject = subject
	if u, err := s.user(ctx, subject); err == nil {
		resp.Username, resp.Name, resp.Email = u.Email, u.Name, u.Email
	}
	return nil
}

func setUserinfo(info *oidc.UserInfo, u identity.User, scopes []string) {
	info.Subject = u.ID.String()
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.PreferredUsername = u.Email
		info.AppendClaims("roles", nonNil(u.Roles))
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, true
	}
}

func (s *Storage) user(ctx context.Context, subject string) (identity.User, error) {
	id, err := uuid.Parse(subject)
	if err != nil {
		return identity.User{}, identity.ErrUnknownUser
	}
	return s.store.UserByID(ctx, id)
}

// GetPrivateClaimsFromRequest adds the access token's own claims: a user's
// name, email and roles; a machine client's roles.
func (s *Storage) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	return s.privateClaims(ctx, req.GetSubject())
}

func (s *Storage) privateClaims(ctx context.Context, subject string) (map[string]any, error) {
	if c, ok := s.clients.ByID(subject); ok {
		return map[string]any{"roles": nonNil(c.Roles)}, nil
	}
	u, err := s.user(ctx, subject)
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": u.Name, "email": u.Email, "roles": nonNil(u.Roles)}, nil
}

// nonNil makes roles an array in JSON, never null.
func nonNil(roles []string) []string {
	if roles == nil {
		return []string{}
	}
	return roles
}

func (s *Storage) GetPrivateClaimsFromScopes(ctx context.Context, userID, _ string, _ []string) (map[string]any, error) {
	return s.privateClaims(ctx, userID)
}

// GetKeyByIDAndClientID is for clients that sign JWTs (private_key_jwt,
// the JWT profile grant): none of ours does.
func (s *Storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no client signs with its own key")
}

func (s *Storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *Storage) Health(ctx context.Context) error { return s.store.Ping(ctx) }
