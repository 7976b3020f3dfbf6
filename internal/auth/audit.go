package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/sallyport/sallyport/internal/store"
)

// RoleAdmin is the role that may read the audit log over HTTP.
const RoleAdmin = "admin"

// AuditLog returns audit events, newest first, as f selects.
func (s *Service) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent,
	error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	events, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return events, nil
}

// PruneAudit removes audit events older than retention and reports how
// many went.
func (s *Service) PruneAudit(ctx context.Context, retention time.Duration) (int64, error) {
	n, err := s.store.DeleteAuditBefore(ctx, s.now().Add(-retention))
	if err != nil {
		return 0, fmt.Errorf("prune audit log: %w", err)
	}
	return n, nil
}
