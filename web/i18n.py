"""Every UI string in Vietnamese and English, and the choice of language for a request."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

TEXT: dict[str, dict[str, str]] = {
    "vi": {"title": "Đồ thị tri thức VUSTA", "queries": "Truy vấn có sẵn",
           "queries_intro": "Các truy vấn SPARQL có tham số, chạy được ngay; mỗi truy vấn "
                            "cũng là một đường dẫn của API.",
           "parameters": "Tham số", "answer_format": "Định dạng", "datasets": "Tập dữ liệu",
           "organisations": "Tổ chức", "units": "Đơn vị hành chính",
           "schemes": "Bộ từ vựng", "graphs": "Đồ thị nguồn", "graph": "Đồ thị",
           "triples": "Bộ ba", "loaded": "Nạp lúc", "source": "Nguồn",
           "query": "Truy vấn SPARQL", "run": "Chạy", "other": "English",
           "intro": "Dữ liệu liên kết về danh mục dữ liệu, tổ chức và đơn vị hành chính của "
                    "Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam.",
           "reports": "Báo cáo kiểm tra dữ liệu", "report": "Báo cáo kiểm tra",
           "record": "Bản ghi", "field": "Trường", "value": "Giá trị", "severity": "Mức",
           "message": "Vấn đề", "violations": "Vi phạm", "warnings": "Cảnh báo",
           "infos": "Thông tin", "quarantined": "Bị cách ly", "loader": "Bộ nạp",
           "no_results": "Không có vấn đề nào.", "all_records": "Mọi bản ghi",
           "Violation": "Vi phạm", "Warning": "Cảnh báo", "Info": "Thông tin",
           "home": "Trang chủ", "results": "kết quả",
           "quality": "Chất lượng siêu dữ liệu", "name": "Tên", "total": "Tổng",
           "rating": "Xếp loại", "catalog": "Danh mục", "publisher": "Đơn vị công bố",
           "facet_publisher": "Đơn vị công bố",
           "quality_intro": "Điểm trung bình của các tập dữ liệu theo các chiều của phương pháp "
                            "đánh giá chất lượng siêu dữ liệu (MQA) của data.europa.eu.",
           "no_quality": "Chưa có điểm chất lượng: chạy kg quality.",
           "rating_excellent": "Xuất sắc", "rating_good": "Tốt", "rating_sufficient": "Đạt",
           "rating_bad": "Kém",
           "search": "Tìm kiếm", "search_placeholder": "Tìm tập dữ liệu, tổ chức, địa danh…",
           "search_button": "Tìm", "facet_kind": "Loại", "kind_dataset": "Tập dữ liệu",
           "kind_organisation": "Tổ chức", "kind_place": "Địa danh", "facet_theme": "Chủ đề",
           "facet_field": "Lĩnh vực KH&CN", "facet_format": "Định dạng",
           "facet_licence": "Giấy phép",
           "facet_province": "Tỉnh/thành phố", "facet_year": "Năm",
           "facet_org_kind": "Loại tổ chức",
           "facet_unit_kind": "Loại đơn vị", "facet_scheme": "Danh mục", "found": "kết quả",
           "next_page": "Trang sau →", "no_hits": "Không tìm thấy kết quả nào.",
           "remove_filter": "bỏ lọc", "download_as": "Tải về dạng",
           "recent": "Tập dữ liệu mới cập nhật", "top_themes": "Chủ đề nhiều dữ liệu nhất",
           "top_publishers": "Đơn vị công bố nhiều nhất", "places": "Địa danh",
           "vocabularies": "Bộ từ vựng", "sparql_editor": "Trình soạn truy vấn SPARQL",
           "description": "Mô tả", "keywords": "Từ khóa", "spatial": "Phạm vi không gian",
           "temporal": "Phạm vi thời gian", "issued": "Ngày công bố", "modified": "Cập nhật",
           "contact": "Liên hệ", "distributions": "Phân phối", "size": "Kích thước",
           "download": "Tải về", "access": "Truy cập", "quality_score": "Điểm chất lượng",
           "change_history": "Lịch sử thay đổi", "history_when": "Thời điểm",
           "history_what": "Thay đổi", "history_added": "Thuộc tính thêm",
           "history_removed": "Thuộc tính bỏ", "history_by": "Bởi",
           "history_all": "Toàn bộ lịch sử (Activity Streams)",
           "no_history": "Chưa ghi nhận thay đổi nào.", "change_create": "Tạo mới",
           "change_update": "Sửa đổi", "change_delete": "Xoá",
           "validation": "Tình trạng kiểm tra", "see_report": "xem báo cáo kiểm tra",
           "as_rdf": "Tài nguyên này dưới dạng",
           "query_this": "Truy vấn tài nguyên này bằng SPARQL",
           "address": "Địa chỉ", "current_unit": "Đơn vị hành chính hiện nay",
           "former_unit": "Trước 1/7/2025", "sub_organisations": "Tổ chức trực thuộc",
           "parent": "Trực thuộc", "hierarchy": "Cơ cấu", "its_datasets": "Tập dữ liệu",
           "code": "Mã", "level": "Cấp", "valid_from": "Hiệu lực từ", "valid_until": "Hết hiệu lực",
           "contains": "Gồm các đơn vị", "formed_from": "Hình thành từ",
           "became": "Đã sáp nhập vào",
           "history": "Lịch sử sắp xếp năm 2025", "map": "Bản đồ",
           "map_unavailable": "Không tải được bản đồ; tọa độ trung tâm:",
           "located_here": "Dữ liệu và tổ chức tại đây",
           "provinces_2025": "34 tỉnh, thành phố (từ 1/7/2025)",
           "provinces_old": "63 tỉnh, thành phố (trước 1/7/2025)", "concepts": "Khái niệm",
           "pref_label": "Tên ưu tiên", "alt_label": "Tên khác", "notation": "Ký hiệu",
           "definition": "Định nghĩa", "broader": "Khái niệm rộng hơn",
           "narrower": "Khái niệm hẹp hơn", "related": "Liên quan", "mappings": "Ánh xạ",
           "in_scheme": "Thuộc bộ từ vựng", "top_concepts": "Khái niệm cấp cao nhất",
           "examples": "Truy vấn mẫu", "results_table": "Kết quả", "rows": "dòng",
           "full": "toàn bộ", "partial": "một phần", "all_datasets": "Mọi tập dữ liệu",
           "more": "Xem tất cả", "points": "điểm", "none": "—",
           "no_js": "Trình soạn có tô màu cú pháp cần JavaScript; biểu mẫu này vẫn chạy được."},
    "en": {"title": "VUSTA knowledge graph", "datasets": "Datasets",
           "organisations": "Organisations", "units": "Administrative units",
           "schemes": "Vocabularies", "graphs": "Source graphs", "graph": "Graph",
           "triples": "Triples", "loaded": "Loaded", "source": "Source",
           "query": "SPARQL query", "run": "Run", "other": "Tiếng Việt",
           "intro": "Linked data on the data catalogue, organisations and administrative "
                    "units of the Vietnam Union of Science and Technology Associations.",
           "reports": "Data validation reports", "report": "Validation report",
           "record": "Record", "field": "Field", "value": "Value", "severity": "Severity",
           "message": "Problem", "violations": "Violations", "warnings": "Warnings",
           "infos": "Infos", "quarantined": "Quarantined", "loader": "Loader",
           "no_results": "No problems.", "all_records": "All records",
           "Violation": "Violation", "Warning": "Warning", "Info": "Info",
           "home": "Home", "results": "results",
           "quality": "Metadata quality", "name": "Name", "total": "Total",
           "rating": "Rating", "catalog": "Catalogue", "publisher": "Publisher",
           "facet_publisher": "Publisher",
           "quality_intro": "Mean points of the datasets along the dimensions of the "
                            "data.europa.eu Metadata Quality Assessment (MQA).",
           "no_quality": "No quality scores yet: run kg quality.",
           "rating_excellent": "Excellent", "rating_good": "Good",
           "rating_sufficient": "Sufficient", "rating_bad": "Bad",
           "queries": "Ready-made queries",
           "queries_intro": "Parameterised SPARQL queries to run at once; each is also a "
                            "route of the API.",
           "parameters": "Parameters", "answer_format": "Format",
           "search": "Search", "search_placeholder": "Find datasets, organisations, places…",
           "search_button": "Search", "facet_kind": "Kind", "kind_dataset": "Dataset",
           "kind_organisation": "Organisation", "kind_place": "Place", "facet_theme": "Theme",
           "facet_field": "Field of science", "facet_format": "Format", "facet_licence": "Licence",
           "facet_province": "Province", "facet_year": "Year",
           "facet_org_kind": "Organisation kind",
           "facet_unit_kind": "Unit kind", "facet_scheme": "Scheme", "found": "results",
           "next_page": "Next page →", "no_hits": "Nothing found.",
           "remove_filter": "remove filter", "download_as": "Download as",
           "recent": "Recently updated datasets", "top_themes": "Top themes",
           "top_publishers": "Top publishers", "places": "Places",
           "vocabularies": "Vocabularies", "sparql_editor": "SPARQL query editor",
           "description": "Description", "keywords": "Keywords", "spatial": "Spatial coverage",
           "temporal": "Temporal coverage", "issued": "Issued", "modified": "Modified",
           "contact": "Contact", "distributions": "Distributions", "size": "Size",
           "download": "Download", "access": "Access", "quality_score": "Quality score",
           "change_history": "History", "history_when": "When", "history_what": "Change",
           "history_added": "Properties added", "history_removed": "Properties removed",
           "history_by": "By", "history_all": "The whole history (Activity Streams)",
           "no_history": "No change recorded yet.", "change_create": "Created",
           "change_update": "Updated", "change_delete": "Deleted",
           "validation": "Validation status", "see_report": "see the validation report",
           "as_rdf": "This resource as", "query_this": "Query this resource in SPARQL",
           "address": "Address", "current_unit": "Current administrative unit",
           "former_unit": "Before 1 July 2025", "sub_organisations": "Sub-organisations",
           "parent": "Part of", "hierarchy": "Hierarchy", "its_datasets": "Datasets",
           "code": "Code", "level": "Level", "valid_from": "Valid from",
           "valid_until": "Valid until",
           "contains": "Contains", "formed_from": "Formed from", "became": "Became part of",
           "history": "2025 reorganisation", "map": "Map",
           "map_unavailable": "The map could not load; centre coordinates:",
           "located_here": "Data and organisations here",
           "provinces_2025": "34 provinces (from 1 July 2025)",
           "provinces_old": "63 provinces (before 1 July 2025)", "concepts": "Concepts",
           "pref_label": "Preferred label", "alt_label": "Alternative labels",
           "notation": "Notation",
           "definition": "Definition", "broader": "Broader concepts",
           "narrower": "Narrower concepts", "related": "Related", "mappings": "Mappings",
           "in_scheme": "In scheme", "top_concepts": "Top concepts",
           "examples": "Example queries", "results_table": "Results", "rows": "rows",
           "full": "whole", "partial": "partly", "all_datasets": "All datasets",
           "more": "See all", "points": "points", "none": "—",
           "no_js": "The highlighting editor needs JavaScript; this form works without it."},
}


# The publisher's pages: (key, Vietnamese, English); their keys get the prefix pub_.
PUBLISH_TEXT: tuple[tuple[str, str, str], ...] = (
    ("publish", "Công bố dữ liệu", "Publish data"),
    ("sign_in", "Đăng nhập", "Sign in"),
    ("sign_out", "Đăng xuất", "Sign out"),
    ("token", "Token của đơn vị", "Your organisation's token"),
    ("sign_in_intro",
     "Biên tập viên của một đơn vị thành viên đăng nhập bằng token do nhóm quản trị cổng "
     "cấp (kg token create … --scope publisher:<mã>).",
     "An editor of a member organisation signs in with the token the portal team gave (kg "
     "token create … --scope publisher:<id>)."),
    ("sign_in_unknown", "Token không đúng.", "That token is not known."),
    ("sign_in_expired", "Token đã hết hạn.", "That token has expired."),
    ("sign_in_scope",
     "Token này không có quyền công bố dữ liệu.",
     "That token may not publish datasets."),
    ("signed_in_as", "Đăng nhập với", "Signed in as"),
    ("new_dataset", "Tập dữ liệu mới", "New dataset"),
    ("your_datasets", "Tập dữ liệu của đơn vị", "Your organisation's datasets"),
    ("status", "Trạng thái", "Status"),
    ("draft", "Bản nháp", "Draft"),
    ("published_status", "Đã công bố", "Published"),
    ("edit", "Sửa", "Edit"),
    ("no_datasets", "Đơn vị chưa có tập dữ liệu nào.", "No datasets yet."),
    ("organisation", "Đơn vị", "Organisation"),
    ("dataset_name", "Mã tập dữ liệu (chữ, số, dấu gạch)", "Dataset id (letters, digits, dashes)"),
    ("title_vi", "Tiêu đề (tiếng Việt)", "Title (Vietnamese)"),
    ("title_en", "Tiêu đề (tiếng Anh)", "Title (English)"),
    ("description_vi", "Mô tả (tiếng Việt)", "Description (Vietnamese)"),
    ("description_en", "Mô tả (tiếng Anh)", "Description (English)"),
    ("keywords", "Từ khóa (cách nhau bởi dấu phẩy)", "Keywords (comma-separated)"),
    ("themes", "Chủ đề", "Themes"),
    ("subjects", "Lĩnh vực KH&CN", "Fields of science"),
    ("license", "Giấy phép", "Licence"),
    ("accessRights", "Quyền truy cập", "Access rights"),
    ("landingPage", "Trang web của tập dữ liệu", "Web page of the dataset"),
    ("issued", "Ngày công bố", "Issued"),
    ("modified", "Ngày cập nhật", "Modified"),
    ("startDate", "Từ ngày", "From"),
    ("endDate", "Đến ngày", "Until"),
    ("contactName", "Người liên hệ", "Contact name"),
    ("contactEmail", "Thư điện tử liên hệ", "Contact e-mail"),
    ("distribution", "Bản phân phối", "Distribution"),
    ("dist_title", "Tên", "Name"),
    ("accessURL", "Địa chỉ truy cập", "Access URL"),
    ("downloadURL", "Địa chỉ tải về", "Download URL"),
    ("format", "Định dạng", "Format"),
    ("save_draft", "Lưu bản nháp", "Save as draft"),
    ("publish_now", "Công bố", "Publish"),
    ("saved_draft",
     "Đã lưu bản nháp: chỉ đơn vị và quản trị viên thấy.",
     "Saved as a draft: only your organisation and admins see it."),
    ("published",
     "Đã công bố: mọi người đều thấy tập dữ liệu.",
     "Published: everybody sees the dataset."),
    ("form_problems",
     "Chưa lưu được: hãy sửa các trường được đánh dấu.",
     "Not saved: correct the marked fields."),
    ("choose", "— chọn —", "— choose —"),
    ("back", "Danh sách", "All datasets"),
)
for _key, _vi, _en in PUBLISH_TEXT:
    TEXT["vi"][f"pub_{_key}"], TEXT["en"][f"pub_{_key}"] = _vi, _en


def language() -> str:
    """``?lang=`` first, then the choice remembered from the switch (a cookie), then
    ``Accept-Language``, then Vietnamese."""
    for asked in (request.args.get("lang"), request.cookies.get("lang")):
        if asked in TEXT:
            return asked
    return request.accept_languages.best_match(["vi", "en"], default="vi") or "vi"


def remember_language(response: Response) -> Response:
    """The switch's choice is kept for the next pages (links do not all carry ``lang``);
    the page depends on it, so caches must know."""
    asked = request.args.get("lang")
    if asked in TEXT and request.cookies.get("lang") != asked:
        response.set_cookie("lang", asked, max_age=365 * 24 * 3600, samesite="Lax")
    if response.mimetype == "text/html":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


def texts(lang: str) -> dict[str, str]:
    return TEXT[lang]


def switch_language_url() -> str:
    """This page in the other language, every other parameter kept."""
    other = "en" if language() == "vi" else "vi"
    if request.endpoint is None:
        return f"?lang={other}"
    args = {**(request.view_args or {}), **request.args.to_dict(), "lang": other}
    return url_for(request.endpoint, **args)


def template_globals() -> dict[str, Any]:
    """What every template may use: the language and its texts (views may pass their own)."""
    lang = language()
    return {"switch_language_url": switch_language_url, "lang": lang, "t": texts(lang)}
