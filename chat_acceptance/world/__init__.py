"""The world: the run's state (suite.Suite), one scenario's state (scenario.World) and the actions steps call on
it, each taking the world (access: tokens, routes, roles, browsers). It puts the other rooms to work: actors act,
attacks supply what an attacker sends, checks judge what came back."""
