"""services of the portfolio, one module per entity: service, catalogue, ci."""
