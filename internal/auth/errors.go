package auth

import "errors"

// Errors returned (possibly wrapped) by this package. Their text is written for
// the person at the screen, in Chinese and English.
var (
	// ErrWeakPassword: the new password is shorter than MinPasswordLength.
	ErrWeakPassword = errors.New("密码太短，至少需要 10 个字符 (password too short: use at least 10 characters)")
	// ErrLongPassword: the new password is longer than MaxPasswordLength.
	ErrLongPassword = errors.New("密码太长，最多 256 个字符 (password too long: at most 256 characters)")
	// ErrBadHash: a stored password hash cannot be read.
	ErrBadHash = errors.New("无法识别的密码摘要 (unreadable password hash)")

	// ErrUserNotFound: no account has that id or username.
	ErrUserNotFound = errors.New("用户不存在 (user not found)")
	// ErrUsernameTaken: another account already uses the username.
	ErrUsernameTaken = errors.New("用户名已被使用 (username already taken)")
	// ErrBadUsername: the username breaks the rules (3–32 of a–z, 0–9, _ . -).
	ErrBadUsername = errors.New("用户名须为 3–32 位小写字母、数字或 _ . - (username must be 3–32 characters of a–z, 0–9, _ . -)")
	// ErrBadRole: the role is unknown or not allowed here.
	ErrBadRole = errors.New("角色无效 (invalid role)")
	// ErrRegionRequired: the role must be scoped to a region.
	ErrRegionRequired = errors.New("该角色必须指定所属区域 (this role needs a region)")
	// ErrUnknownRegion: the region id does not exist.
	ErrUnknownRegion = errors.New("区域不存在 (unknown region)")
	// ErrBadLocale: the language is not offered.
	ErrBadLocale = errors.New("不支持的语言 (unsupported language)")
	// ErrLastAdmin: the change would leave the deployment without an active administrator.
	ErrLastAdmin = errors.New("至少需要保留一名启用的管理员 (at least one active administrator must remain)")

	// ErrBadCredentials: unknown username or wrong password (deliberately the same).
	ErrBadCredentials = errors.New("用户名或密码错误 (wrong username or password)")
	// ErrDisabled: the account is disabled.
	ErrDisabled = errors.New("账号已停用，请联系管理员 (this account is disabled; contact an administrator)")
	// ErrRateLimited: too many failed logins; try again later.
	ErrRateLimited = errors.New("登录失败次数过多，请 15 分钟后再试 (too many failed logins; try again in 15 minutes)")
	// ErrNoSession: the session token is unknown (never issued or logged out).
	ErrNoSession = errors.New("未登录或会话已结束 (not logged in)")
	// ErrSessionExpired: the session timed out.
	ErrSessionExpired = errors.New("会话已过期，请重新登录 (session expired; please log in again)")

	// ErrBadAPIKey: the API key is malformed, unknown or its secret is wrong.
	ErrBadAPIKey = errors.New("API 密钥无效 (invalid API key)")
	// ErrAPIKeyRevoked: the API key was revoked.
	ErrAPIKeyRevoked = errors.New("API 密钥已吊销 (API key revoked)")
	// ErrAPIKeyNotFound: no API key has that id.
	ErrAPIKeyNotFound = errors.New("API 密钥不存在 (API key not found)")
	// ErrBadName: a required name is empty or too long.
	ErrBadName = errors.New("名称不能为空且不超过 100 个字符 (name must be 1–100 characters)")

	// ErrHouseholdNotFound: no household has that id.
	ErrHouseholdNotFound = errors.New("房屋不存在 (household not found)")
	// ErrLinkNotFound: no resident link has that id.
	ErrLinkNotFound = errors.New("认证申请不存在 (verification request not found)")
	// ErrLinkExists: the resident already asked for (or holds) that household.
	ErrLinkExists = errors.New("已申请或已认证该房屋 (this household was already requested or verified)")
	// ErrLinkDecided: the request was already approved or rejected.
	ErrLinkDecided = errors.New("该申请已处理 (this request was already decided)")
	// ErrNotResident: only resident accounts link to households.
	ErrNotResident = errors.New("只有居民账号可以认证房屋 (only resident accounts can claim a household)")

	// ErrUnauthenticated: the operation needs a logged-in principal in the context.
	ErrUnauthenticated = errors.New("请先登录 (please log in)")
	// ErrForbidden: the principal's role lacks the permission.
	ErrForbidden = errors.New("无权执行此操作 (not allowed)")
	// ErrOutOfScope: the object lies outside the principal's region.
	ErrOutOfScope = errors.New("超出您的管辖范围 (outside your area)")
)
