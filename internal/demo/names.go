package demo

import (
	"math/rand/v2"
	"strconv"
)

// The name tables below are constant data: invented but plausible place names of
// an old Jiangsu city, common surnames and given names. None of it names a real
// person or a real compound on purpose.

// cityName is the fictional city all districts belong to.
const cityName = "延陵市"

// firstDistrictName is the name of district 0.
const firstDistrictName = "清河区"

// toponyms are two-character place names used for districts, subdistricts,
// communities, streets, compounds and facilities.
var toponyms = []string{
	"清潭", "红梅", "丽华", "翠竹", "兰陵", "青山", "茶山", "白云", "紫荆", "桂园",
	"永红", "新桥", "东坡", "西瀛", "南河", "北塘", "运河", "古村", "南门", "北门",
	"双桥", "五星", "勤业", "怡康", "康乐", "延陵", "博爱", "和平", "光华", "文化",
	"青龙", "朝阳", "丽园", "春江", "荷花", "莲花", "梅园", "竹林", "松涛", "清凉",
	"广化", "化龙", "锦绣", "凤凰", "飞龙", "天鹅", "新闸", "同济", "东风", "红星",
	"前进", "胜利", "工农", "劳动", "健康", "幸福", "长江", "中山", "永宁", "兴隆",
	"安居", "乐居", "泰和", "平安", "吉祥", "金桥", "银河", "宝塔", "鼓楼", "城隍",
	"文庙", "书院", "学府", "府前", "县前", "西仓", "东仓", "米市", "盐仓", "织机",
	"丝绸", "桃园", "杏林", "柳塘", "芦墅", "蓉湖", "荆川", "舣舟", "椿庭", "芳渚",
	"云溪", "月季", "玉带", "银杏", "香樟", "枫林", "梧桐", "青枫", "东门", "西门",
	"河滨", "水门", "浦前", "塘桥", "南苑", "北苑", "花溪", "龙溪", "虹桥", "福寿",
	"长乐", "德安", "宁和", "崇文", "尚德", "育英", "新华", "兴华", "振华", "惠民",
	"利民", "武阳", "晋陵", "毗陵", "太平", "怀德", "广成", "迎春", "公园", "局前",
}

// arterialSuffixes name the arterial roads: the toponym pool runs through them in
// turn, so names stay unique across a large city.
var arterialSuffixes = []string{"路", "大道", "街", "东路", "西路", "南路", "北路", "中路"}

// localSuffixes name the streets inside superblocks.
var localSuffixes = []string{"巷", "街", "路", "弄", "里", "巷", "路"}

// workUnit is a work unit that built staff housing (单位宿舍) in the 1980s.
type workUnit struct{ short, full string }

var workUnits = []workUnit{
	{"化工", "化工厂"}, {"纺织", "纺织厂"}, {"机床", "机床厂"}, {"柴油机", "柴油机厂"},
	{"电力", "供电局"}, {"粮食", "粮食局"}, {"邮电", "邮电局"}, {"供销", "供销社"},
	{"无线电", "无线电厂"}, {"印染", "印染厂"}, {"针织", "针织厂"}, {"化纤", "化纤厂"},
	{"钢铁", "钢铁厂"}, {"造纸", "造纸厂"}, {"轴承", "轴承厂"}, {"玻璃", "玻璃厂"},
	{"自行车", "自行车厂"}, {"灯泡", "灯泡厂"}, {"棉纺", "第二棉纺厂"}, {"电子管", "电子管厂"},
	{"航运", "航运公司"}, {"食品", "食品公司"}, {"医药", "医药公司"}, {"百货", "百货公司"},
}

// Compound name suffixes by era.
var (
	oldSuffixes = []string{"新村", "新村", "新村", "小区", "一村", "二村", "新苑"}
	midSuffixes = []string{"小区", "花园", "公寓", "苑", "家园", "新村"}
	newSuffixes = []string{"苑", "华庭", "嘉园", "名邸", "花园", "雅居", "家园"}
)

// Surnames common in southern Jiangsu, most frequent first; the first ten are
// drawn three times as often as the rest and the next fifteen twice as often.
var surnames = []string{
	"王", "陈", "张", "李", "周", "徐", "朱", "吴", "刘", "杨",
	"黄", "孙", "钱", "沈", "蒋", "许", "顾", "陆", "蔡", "姚", "丁", "马", "胡", "高", "潘",
	"唐", "曹", "袁", "汤", "郭", "恽", "庄", "谢", "戴", "邹", "薛", "金", "史", "冯", "吕",
	"程", "邵", "储", "费", "奚", "屠", "盛", "尤", "承", "巢",
}

var (
	maleChars   = []string{"伟", "强", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫", "波", "宁", "建", "峰", "磊", "亮", "俊", "浩", "文", "国", "荣", "林", "兵", "宇", "晨", "凯"}
	femaleChars = []string{"芳", "娟", "敏", "静", "丽", "艳", "娜", "霞", "燕", "红", "玲", "萍", "琴", "梅", "英", "华", "兰", "秀", "云", "婷", "雪", "洁", "琳", "倩", "颖", "慧", "佳", "蓉"}
	oldMale     = []string{"建国", "国庆", "志强", "卫东", "建华", "福生", "根宝", "金林", "荣根", "德明", "永康", "国平", "锡林", "伯林", "志明", "洪生"}
	oldFemale   = []string{"秀英", "桂英", "玉兰", "凤英", "秀珍", "美娟", "菊芬", "小妹", "红英", "月娥", "金娣", "亚萍", "雪芬", "丽娟", "素珍", "惠芬"}
)

// Retail brands; invented.
var (
	supermarketBrands = []string{"惠邻超市", "百家福超市", "乐购汇", "鑫源超市", "丰华生活超市", "润泽超市"}
	convenienceBrands = []string{"邻里便利店", "快客来便利店", "如意便利店", "家家乐便利店", "全日鲜便利店"}
)

// Mobile number prefixes.
var mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159", "176", "177", "180", "181", "182", "183", "186", "187", "188", "189", "199"}

// idAreas are the Changzhou (3204xx) county codes used for ID numbers.
var idAreas = []string{"320402", "320404", "320411", "320412", "320413", "320481"}

// Chinese numerals for "二区", "三区" … and storey counts.
var cnDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// cnNumber writes 1–99 in Chinese numerals.
func cnNumber(n int) string {
	switch {
	case n <= 10:
		return cnDigits[n]
	case n < 20:
		return "十" + cnDigits[n-10]
	case n < 100 && n%10 == 0:
		return cnDigits[n/10] + "十"
	case n < 100:
		return cnDigits[n/10] + "十" + cnDigits[n%10]
	}
	return strconv.Itoa(n)
}

// namePool hands out names that are unique within one scope (a district, or the
// city for arterials and subdistricts).
type namePool struct {
	used map[string]struct{}
}

func newNamePool(n int) *namePool {
	return &namePool{used: make(map[string]struct{}, n)}
}

// unique returns name, or name with "二区", "三区" … appended when it is taken.
func (p *namePool) unique(name string) string {
	if _, ok := p.used[name]; !ok {
		p.used[name] = struct{}{}
		return name
	}
	for i := 2; ; i++ {
		n := name + cnNumber(i) + "区"
		if _, ok := p.used[n]; !ok {
			p.used[n] = struct{}{}
			return n
		}
	}
}

// take marks name as used and reports whether it was free.
func (p *namePool) take(name string) bool {
	if _, ok := p.used[name]; ok {
		return false
	}
	p.used[name] = struct{}{}
	return true
}

// toponymPicker draws toponyms in a shuffled order without repeating until the
// pool is used up.
type toponymPicker struct {
	order []int
	next  int
	round int
}

func newToponymPicker(r *rand.Rand) *toponymPicker {
	return &toponymPicker{order: r.Perm(len(toponyms))}
}

// pick returns the next toponym and how many times the pool was already used up.
func (t *toponymPicker) pick() (string, int) {
	if t.next == len(t.order) {
		t.next = 0
		t.round++
	}
	s := toponyms[t.order[t.next]]
	t.next++
	return s, t.round
}

// surname draws a surname with the frequency tiers described at surnames.
func surname(r *rand.Rand) string {
	// 10 names × 3 + 15 × 2 + the rest × 1.
	rest := len(surnames) - 25
	n := r.IntN(30 + 30 + rest)
	switch {
	case n < 30:
		return surnames[n/3]
	case n < 60:
		return surnames[10+(n-30)/2]
	}
	return surnames[25+n-60]
}

// appendGivenName appends a given name fitting the sex and birth year.
func appendGivenName(b []byte, r *rand.Rand, male bool, born int) []byte {
	if born < 1962 && r.IntN(2) == 0 {
		if male {
			return append(b, oldMale[r.IntN(len(oldMale))]...)
		}
		return append(b, oldFemale[r.IntN(len(oldFemale))]...)
	}
	pool := femaleChars
	if male {
		pool = maleChars
	}
	b = append(b, pool[r.IntN(len(pool))]...)
	if r.IntN(100) < 65 {
		b = append(b, pool[r.IntN(len(pool))]...)
	}
	return b
}
