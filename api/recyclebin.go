package api

// recycleBinRoutes registers the v6+ Recycle Bin API.
func (s *Server) recycleBinRoutes(crm routeOpts) {}
