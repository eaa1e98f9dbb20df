"""Every UI string in Vietnamese and English, and the choice of language for a request."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

TEXT: dict[str, dict[str, str]] = {
    "vi": {"title": "Đồ thị tri thức VUSTA", "datasets": "Tập dữ liệu",
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
           "quality_intro": "Điểm trung bình của các tập dữ liệu theo các chiều của phương pháp "
                            "đánh giá chất lượng siêu dữ liệu (MQA) của data.europa.eu.",
           "no_quality": "Chưa có điểm chất lượng: chạy kg quality.",
           "rating_excellent": "Xuất sắc", "rating_good": "Tốt", "rating_sufficient": "Đạt",
           "rating_bad": "Kém"},
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
           "quality_intro": "Mean points of the datasets along the dimensions of the "
                            "data.europa.eu Metadata Quality Assessment (MQA).",
           "no_quality": "No quality scores yet: run kg quality.",
           "rating_excellent": "Excellent", "rating_good": "Good",
           "rating_sufficient": "Sufficient", "rating_bad": "Bad"},
}


def language() -> str:
    """``?lang=`` first, then ``Accept-Language``, then Vietnamese."""
    asked = request.args.get("lang")
    if asked in TEXT:
        return asked
    return request.accept_languages.best_match(["vi", "en"], default="vi") or "vi"


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
