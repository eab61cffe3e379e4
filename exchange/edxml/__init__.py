"""edXML packages (docs/exchange.md, "edXML packages"): the messages as plain data, written
and read here without the database; the services in exchange/services/packages.py turn
letters into them and back."""
