package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxBody bounds how much of an answer the load run reads.
const maxBody = 1 << 20

// get sends a GET, with a bearer token when token is not empty, reads the
// answer and returns its status.
func get(ctx context.Context, c *http.Client, url, token string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("build GET %s: %w", url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)); err != nil {
		return 0, fmt.Errorf("read answer of GET %s: %w", url, err)
	}
	return resp.StatusCode, nil
}

// postJSON sends in as a JSON POST. A 2xx answer is decoded into out when
// out is not nil; any other answer gives the "error" code of its body.
func postJSON(ctx context.Context, c *http.Client, url string, in, out any) (
	status int, code string, err error) {
	body, err := json.Marshal(in)
	if err != nil {
		return 0, "", fmt.Errorf("encode POST %s: %w", url, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("build POST %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, "", fmt.Errorf("read answer of POST %s: %w", url, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(raw, &e)
		return resp.StatusCode, e.Error, nil
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, "", fmt.Errorf("decode answer of POST %s: %w", url, err)
		}
	}
	return resp.StatusCode, "", nil
}

// credentials is the body of signup and login.
type credentials struct {
	Email              string `json:"email"`
	Password           string `json:"password"`
	ReturnRefreshToken bool   `json:"return_refresh_token,omitempty"`
}

// refreshRequest is the body of a refresh.
type refreshRequest struct {
	RefreshToken       string `json:"refresh_token"`
	ReturnRefreshToken bool   `json:"return_refresh_token"`
}

// grant is the part of a token response the load run uses.
type grant struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}
