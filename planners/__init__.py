"""The domain: the service graph, one planner per command, renderers per artifact format, knowledge tables.

Nothing here imports a transport. A planner is a pure function from a validated request to a
`PlanOutput`; the engine in `acp` wraps it with the protocol envelope.
"""
