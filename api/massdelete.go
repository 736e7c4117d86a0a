package api

// massDeleteRoutes registers Mass Delete Records and its status.
func (s *Server) massDeleteRoutes(crm routeOpts) {}
