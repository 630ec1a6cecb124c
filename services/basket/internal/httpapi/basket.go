package httpapi

import (
	"net/http"
	"strconv"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	httpkit "github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/basket/internal/basket"
)

// basketResponse is a basket as the API shows it.
type basketResponse struct {
	BuyerID string         `json:"buyerId"`
	Items   []itemResponse `json:"items"`
}

type itemResponse struct {
	ID           string       `json:"id"`
	ProductID    int64        `json:"productId"`
	ProductName  string       `json:"productName"`
	UnitPrice    money.Money  `json:"unitPrice"`
	OldUnitPrice *money.Money `json:"oldUnitPrice"`
	Quantity     int          `json:"quantity"`
	PictureURL   string       `json:"pictureUrl"`
}

func toResponse(b basket.Basket) basketResponse {
	items := make([]itemResponse, len(b.Items))
	for i, it := range b.Items {
		items[i] = itemResponse{
			ID: it.ID, ProductID: it.ProductID, ProductName: it.ProductName,
			UnitPrice: it.UnitPrice, OldUnitPrice: it.OldUnitPrice, Quantity: it.Quantity, PictureURL: it.PictureURL,
		}
	}
	return basketResponse{BuyerID: b.BuyerID, Items: items}
}

// updateBasketRequest is the body of PUT: the items that replace the
// basket's. Pointers tell a missing field from a zero one.
type updateBasketRequest struct {
	Items *[]itemRequest `json:"items"`
}

type itemRequest struct {
	ProductID   int64        `json:"productId"`
	ProductName string       `json:"productName"`
	UnitPrice   *money.Money `json:"unitPrice"`
	Quantity    int          `json:"quantity"`
	PictureURL  string       `json:"pictureUrl"`
}

// buyerID reads and checks the {buyerId} path parameter, percent-decoded
// (alice%40example.com is alice@example.com), which must be the caller's
// own id: the token's sub (403 otherwise).
func buyerID(r *http.Request) (string, *httpkit.Problem) {
	id, p := httpkit.PathParam(r, "buyerId")
	if p != nil {
		return "", p
	}
	if err := basket.ValidateBuyerID(id); err != nil {
		var v httpkit.Validation
		v.Add("buyerId", err.Error())
		return "", v.Err()
	}
	caller := auth.From(r.Context())
	if caller.IsClientItself() {
		return "", httpkit.NewProblem(http.StatusForbidden, "a client's own token (client credentials) is no buyer's: a basket needs a signed-in user's token")
	}
	if id != caller.Subject {
		return "", httpkit.NewProblem(http.StatusForbidden, "a buyer may only use their own basket: {buyerId} must be the token's sub")
	}
	return id, nil
}

// decodeItems reads a PUT body into valid basket items, or a 4xx problem.
func decodeItems(r *http.Request) ([]basket.Item, *httpkit.Problem) {
	var req updateBasketRequest
	if p := httpkit.DecodeJSON(r, &req); p != nil {
		return nil, p
	}
	if req.Items == nil {
		var v httpkit.Validation
		v.Add("items", "is required (an empty array empties the basket)")
		return nil, v.Err()
	}
	items := make([]basket.Item, len(*req.Items))
	missingPrice := map[int]bool{}
	for i, in := range *req.Items {
		items[i] = basket.Item{
			ProductID: in.ProductID, ProductName: in.ProductName,
			Quantity: in.Quantity, PictureURL: in.PictureURL,
		}
		if in.UnitPrice == nil {
			missingPrice[i] = true
		} else {
			items[i].UnitPrice = *in.UnitPrice
		}
	}
	problems := basket.ValidateItems(items)
	if len(items) <= basket.MaxLines {
		for i := range missingPrice {
			problems["items["+strconv.Itoa(i)+"].unitPrice"] = []string{"is required"}
		}
	}
	if len(problems) > 0 {
		return nil, httpkit.Validation(problems).Err()
	}
	return items, nil
}

func (h *handlers) getBasket(w http.ResponseWriter, r *http.Request) {
	id, p := buyerID(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	b, err := h.store.Basket(r.Context(), id)
	writeBasket(w, r, b, err)
}

func (h *handlers) replaceBasket(w http.ResponseWriter, r *http.Request) {
	id, p := buyerID(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	items, p := decodeItems(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	b, err := h.store.Replace(r.Context(), id, items)
	writeBasket(w, r, b, err)
}

// writeBasket answers the basket a read or a replace gave, or its error
// as a 500.
func writeBasket(w http.ResponseWriter, r *http.Request, b basket.Basket, err error) {
	if err != nil {
		httpkit.InternalError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, toResponse(b))
}

func (h *handlers) deleteBasket(w http.ResponseWriter, r *http.Request) {
	id, p := buyerID(r)
	if p != nil {
		httpkit.WriteProblem(w, p)
		return
	}
	if err := h.store.Delete(r.Context(), id); err != nil {
		httpkit.InternalError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
