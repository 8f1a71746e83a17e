# A worked payments policy: data-driven limits and approvers, tool arguments, tags, metadata.
package mxp

import rego.v1

default decision := {"deny": true, "reason": "no rule allows this action"}

tool := input.action.name if input.action.kind == "invoke_tool"

# Read-only tools are always fine.
decision := {"allow": true} if {
	tool in data.tools.read_only
}

# Small payments are allowed; larger ones need a human from the team named in data.
decision := {"allow": true} if {
	tool == "pay"
	input.action.arguments.amount <= data.limits.pay
	not "frozen" in input.context.tags
}

decision := {
	"escalate": true,
	"reason": sprintf("payments over %v need approval", [data.limits.pay]),
	"approvers": approvers,
} if {
	tool == "pay"
	input.action.arguments.amount > data.limits.pay
	not "frozen" in input.context.tags
}

decision := {"deny": true, "reason": "the account is frozen"} if {
	tool == "pay"
	"frozen" in input.context.tags
}

# Models: only the providers on the allow-list, and never outside business runs.
decision := {"allow": true} if {
	input.action.kind == "model_inference"
	input.action.provider in data.models.providers
	input.context.metadata.run_kind != "nightly"
}

approvers := data.teams.pay.approvers
