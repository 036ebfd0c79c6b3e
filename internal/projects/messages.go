package projects

import "maps"

// Messages returns the zh-CN and English texts of the project pages, for
// web.NewRenderer. Every key starts with "projects.".
func Messages() map[string][2]string {
	m := map[string][2]string{}
	maps.Copy(m, pageMessages())
	maps.Copy(m, gateMessages())
	maps.Copy(m, statsMessages())
	return m
}

// statsMessages are the texts of the statistics page.
func statsMessages() map[string][2]string { return statsMessagesTable() }
