"""Process plumbing around the milter: systemd notify, sockets, privileges, reload."""
