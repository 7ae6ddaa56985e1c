package fake

import (
	"fmt"
	"hash/crc32"
	"net/url"
)

// botLogin is the user a workflow's GITHUB_TOKEN acts as, and the creator of the deployments the
// runner makes for jobs with an environment.
const botLogin = "github-actions[bot]"

// user is a creator: login "" is github-actions[bot]; any other login is a person.
func user(base, login string) map[string]any {
	if login == "" || login == botLogin {
		return account(base+"/users/github-actions%5Bbot%5D", botLogin, 41898282, "MDM6Qm90NDE4OTgyODI=",
			"https://avatars.githubusercontent.com/in/15368?v=4", "https://github.com/apps/github-actions", "Bot")
	}
	id := int64(583231) // octocat's
	if login != "octocat" {
		id = int64(crc32.ChecksumIEEE([]byte(login)) % 100000000)
	}
	return account(base+"/users/"+url.PathEscape(login), login, id, nodeID("User", id),
		fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id), "https://github.com/"+url.PathEscape(login), "User")
}

// account is GitHub's "simple user" shape of an account at API URL u.
func account(u, login string, id int64, node, avatar, html, kind string) map[string]any {
	return map[string]any{
		"login":               login,
		"id":                  id,
		"node_id":             node,
		"avatar_url":          avatar,
		"gravatar_id":         "",
		"url":                 u,
		"html_url":            html,
		"followers_url":       u + "/followers",
		"following_url":       u + "/following{/other_user}",
		"gists_url":           u + "/gists{/gist_id}",
		"starred_url":         u + "/starred{/owner}{/repo}",
		"subscriptions_url":   u + "/subscriptions",
		"organizations_url":   u + "/orgs",
		"repos_url":           u + "/repos",
		"events_url":          u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
		"type":                kind,
		"site_admin":          false,
	}
}

// actionsApp is the GitHub Actions app, which the runner's deployments and statuses are
// performed via. Its id and slug are GitHub's; the dates, permissions and events only fill in the
// fields the schema requires.
func actionsApp() map[string]any {
	return map[string]any{
		"id":      15368,
		"slug":    "github-actions",
		"node_id": "MDM6QXBwMTUzNjg=",
		"owner": account("https://api.github.com/users/github", "github", 9919, "MDEyOk9yZ2FuaXphdGlvbjk5MTk=",
			"https://avatars.githubusercontent.com/u/9919?v=4", "https://github.com/github", "Organization"),
		"name":         "GitHub Actions",
		"description":  "Automate your workflow from idea to production",
		"external_url": "https://help.github.com/en/actions",
		"html_url":     "https://github.com/apps/github-actions",
		"created_at":   "2018-07-30T09:30:17Z",
		"updated_at":   "2024-04-10T20:33:16Z",
		"permissions": map[string]any{
			"actions": "write", "checks": "write", "contents": "write", "deployments": "write",
			"metadata": "read", "statuses": "write",
		},
		"events": []any{"check_run", "check_suite", "deployment", "deployment_status", "push", "workflow_run"},
	}
}
